// `npm pack` makes an installable package: a fresh project installs the tarball and runs the
// README's echo bot against the loopback Telegram simulator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TOKEN, control, packageDir, startSim, transcript } from './helpers.mjs';

const run = promisify(execFile);

/** The JavaScript block of the README that follows the "echo bot" marker. */
async function readmeBot() {
  const readme = await readFile(path.join(packageDir, 'README.md'), 'utf8');
  const match = /<!-- echo-bot -->\s*```js\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'README.md has the echo bot');
  return match[1];
}

test('npm pack, install in a fresh project, run the README bot', { timeout: 240000 }, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'botwire-pack-'));
  const sim = await startSim(['--no-rate-limits']);
  let bot;
  try {
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', work], {
      cwd: packageDir,
      timeout: 120000,
    });
    const tarball = path.join(work, stdout.trim().split('\n').pop());
    // The shipped module is in it; the simulator build (pkg-sim/) is not.
    const { stdout: listing } = await run('tar', ['-tzf', tarball]);
    const entries = listing.split('\n').filter(Boolean);
    assert.ok(entries.includes('package/pkg/botwire_wasm_bg.wasm'), entries.join(' '));
    assert.deepEqual(entries.filter((e) => e.includes('pkg-sim')), []);
    const project = path.join(work, 'project');
    await run('mkdir', [project]);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'echo', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--silent', tarball], { cwd: project, timeout: 120000 });
    const source = await readmeBot();
    assert.ok(source.split('\n').filter((l) => l.trim()).length <= 15, 'the README bot has at most 15 lines');
    await writeFile(path.join(project, 'bot.mjs'), source);

    // The installed package has no simulator: `simulator: true` is an invalid option.
    const refused = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { Bot, InvalidOptionsError } from 'botwire';" +
          "try { new Bot({ platform: 'telegram', simulator: true }); console.log('accepted'); }" +
          "catch (e) { console.log(e instanceof InvalidOptionsError ? 'refused' : e); }",
      ],
      { cwd: project, timeout: 30000 },
    );
    assert.equal(refused.stdout.trim(), 'refused');

    bot = spawn(process.execPath, ['bot.mjs'], {
      cwd: project,
      env: { ...process.env, BOT_TOKEN: TOKEN, API_ROOT: sim.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    bot.stdout.on('data', (d) => (output += d));
    bot.stderr.on('data', (d) => (output += d));
    // The bot starts polling; then the user speaks.
    const deadline = Date.now() + 20000;
    while (!(await control(sim, '/control/state')).has_held_poll) {
      assert.ok(Date.now() < deadline && bot.exitCode === null, `the bot did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await control(sim, '/control/message', { user_id: 42, text: '/start' });
    await control(sim, '/control/message', { user_id: 42, text: 'hello' });
    const t = await transcript(sim, { min: 2, waitMs: 15000 });
    assert.equal(t.length, 2, output);
    assert.match(t[0].text, /echo/i);
    assert.equal(t[1].text, 'hello');

    // SIGTERM runs bot.stop(): the long poll is aborted, no timer is left, the process ends.
    const exited = new Promise((r) => bot.once('exit', (code, signal) => r({ code, signal })));
    bot.kill('SIGTERM');
    const outcome = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hung'), 5000))]);
    assert.deepEqual(outcome, { code: 0, signal: null }, output);
  } finally {
    if (bot && bot.exitCode === null) {
      bot.kill('SIGTERM');
      await new Promise((r) => {
        const timer = setTimeout(() => {
          bot.kill('SIGKILL');
          r();
        }, 5000);
        bot.once('exit', () => {
          clearTimeout(timer);
          r();
        });
      });
    }
    await sim.stop();
    await rm(work, { recursive: true, force: true });
  }
});
