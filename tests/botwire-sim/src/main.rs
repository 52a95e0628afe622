//! `botwire-sim`: the Telegram Bot API or TrueConf server simulator on loopback.
//!
//! ```text
//! botwire-sim [--platform telegram|trueconf] [--port N] [--seed N]
//!             [--token TOKEN] [--no-rate-limits]            (Telegram only)
//! ```
//!
//! The first line on stdout is `listening on http://127.0.0.1:PORT` (useful with `--port 0`,
//! which picks a free port).

use std::io::Write;
use std::process::ExitCode;

use botwire_core::sim::telegram::{RateLimits, SimConfig};
use botwire_sim::{serve, ServerConfig};

const USAGE: &str = "usage: botwire-sim [--platform telegram|trueconf] [--port N] [--seed N]
                   [--token TOKEN] [--no-rate-limits]

  --platform P      the simulated server: telegram (default) or trueconf
  --port N          TCP port on 127.0.0.1 (default 8081; 0 picks a free port)
  --seed N          seed of generated ids (default 24301 for telegram, 31759 for trueconf)
  --token TOKEN     the bot token the simulator accepts (default 123456:TEST-TOKEN; telegram)
  --no-rate-limits  do not answer 429 for fast sending (telegram)
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Telegram,
    TrueConf,
}

struct Options {
    port: u16,
    platform: Platform,
    config: SimConfig,
    trueconf: botwire_core::sim::trueconf::SimConfig,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut port = 8081;
    let mut platform = Platform::Telegram;
    let mut config = SimConfig::default();
    let mut trueconf = botwire_core::sim::trueconf::SimConfig::default();
    let mut telegram_flag = None;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--port" => {
                port = value("--port")?
                    .parse()
                    .map_err(|_| "--port must be a number from 0 to 65535".to_owned())?;
            }
            "--platform" => {
                platform = match value("--platform")?.as_str() {
                    "telegram" => Platform::Telegram,
                    "trueconf" => Platform::TrueConf,
                    other => return Err(format!("unknown platform {other:?}")),
                };
            }
            "--token" => {
                telegram_flag = Some("--token");
                let token = value("--token")?;
                let seed = config.seed;
                let limits = config.rate_limits;
                config = SimConfig::with_token(token);
                config.seed = seed;
                config.rate_limits = limits;
            }
            "--seed" => {
                config.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed must be a non-negative integer".to_owned())?;
                trueconf.seed = config.seed;
            }
            "--no-rate-limits" => {
                telegram_flag = Some("--no-rate-limits");
                config.rate_limits = RateLimits::disabled();
            }
            "--help" | "-h" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if let (Platform::TrueConf, Some(flag)) = (platform, telegram_flag) {
        return Err(format!("{flag} only applies to --platform telegram"));
    }
    Ok(Some(Options {
        port,
        platform,
        config,
        trueconf,
    }))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("botwire-sim: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("botwire-sim: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port)).await?;
        let address = listener.local_addr()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")?;
        stdout.flush()?;
        drop(stdout);
        match options.platform {
            Platform::Telegram => serve(listener, ServerConfig::new(options.config)).await,
            Platform::TrueConf => {
                let config = botwire_sim::trueconf::ServerConfig {
                    sim: options.trueconf,
                };
                botwire_sim::trueconf::serve(listener, config).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("botwire-sim: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_are_parsed() {
        let options = parse(&[
            "--port",
            "0",
            "--seed=7",
            "--no-rate-limits",
            "--token",
            "42:abc",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(options.port, 0);
        assert_eq!(options.config.seed, 7);
        assert!(!options.config.rate_limits.enabled);
        assert_eq!(options.config.token, "42:abc");
        assert_eq!(options.config.bot.id, 42);
        let defaults = parse(&[]).unwrap().unwrap();
        assert_eq!(defaults.port, 8081);
        assert!(defaults.config.rate_limits.enabled);
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
        assert_eq!(defaults.platform, Platform::Telegram);
    }

    #[test]
    fn the_platform_is_chosen() {
        let options = parse(&["--platform", "trueconf", "--port=0", "--seed", "9"])
            .unwrap()
            .unwrap();
        assert_eq!(options.platform, Platform::TrueConf);
        assert_eq!((options.port, options.trueconf.seed), (0, 9));
        assert!(parse(&["--platform=telegram"]).unwrap().is_some());
        assert!(parse(&["--platform", "irc"]).is_err());
        assert!(parse(&["--platform", "trueconf", "--token", "1:a"]).is_err());
        assert!(parse(&["--no-rate-limits", "--platform", "trueconf"]).is_err());
    }
}
