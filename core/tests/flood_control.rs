//! Flood control end to end on a virtual clock: the scheduler releases `sendMessage` calls,
//! the Telegram client encodes them and the simulator answers them with its default rate
//! limits on (so any excess would come back as 429).

use std::collections::BTreeMap;

use botwire_core::io::RequestId;
use botwire_core::runtime::flood::{ChatClass, FloodConfig, FloodControl, RetryScope, SendId};
use botwire_core::sim::harness::SIM_API_ROOT;
use botwire_core::sim::telegram::{
    Fault, FaultKind, SimChat, SimConfig, SimReply, TelegramSim, TranscriptAction,
};
use botwire_core::telegram::client::{CallResult, ClientConfig, Event, Output, TelegramClient};
use botwire_core::telegram::methods::SendMessage;
use botwire_core::telegram::ApiError;

/// Scheduler, client and simulator on one virtual clock.
struct Run {
    sim: TelegramSim,
    client: TelegramClient,
    flood: FloodControl<(i64, SendMessage)>,
    now: u64,
    pending: BTreeMap<RequestId, (SendId, (i64, SendMessage))>,
    retry_afters: Vec<(u64, i64)>,
}

impl Run {
    fn new(config: FloodConfig) -> Self {
        let sim = SimConfig::default();
        let client = ClientConfig::new(sim.token.clone()).with_api_root(SIM_API_ROOT);
        Run {
            sim: TelegramSim::new(sim),
            client: TelegramClient::new(client),
            flood: FloodControl::new(config).expect("valid config"),
            now: 0,
            pending: BTreeMap::new(),
            retry_afters: Vec::new(),
        }
    }

    /// A private chat the bot may write to (its user wrote first).
    fn private_chat(&mut self, user: i64) {
        self.sim
            .user_sends_text(self.now, user, user, "hi")
            .expect("user can write");
    }

    fn send(&mut self, chat: i64, class: ChatClass, text: String) {
        self.flood
            .enqueue(self.now, chat, class, (chat, SendMessage::new(chat, text)))
            .expect("queue has room");
    }

    /// Releases what the budgets allow and moves requests and answers until nothing moves.
    fn step(&mut self) {
        while let Some((send, (chat, message))) = self.flood.poll_ready(self.now) {
            let id = self.client.call(self.now, &message).expect("encodes");
            self.pending.insert(id, (send, (chat, message)));
        }
        loop {
            let mut progress = false;
            while let Some(out) = self.client.poll_output() {
                progress = true;
                match out {
                    Output::Http { id, request } => self
                        .sim
                        .handle_request(self.now, id.0, &request)
                        .expect("fresh key"),
                    Output::Event(Event::Response(r)) => self.answered(r),
                    other => panic!("unexpected output {other:?}"),
                }
            }
            while let Some((key, reply)) = self.sim.poll_response() {
                progress = true;
                let SimReply::Response(r) = reply else {
                    panic!("no answer is dropped here");
                };
                self.client
                    .handle_http_response(self.now, RequestId(key), r.status, &r.body)
                    .expect("issued id");
            }
            if !progress {
                break;
            }
        }
    }

    fn answered(&mut self, r: CallResult) {
        let (send, item) = self.pending.remove(&r.id).expect("our request");
        match r.result {
            Ok(_) => self.flood.on_sent(self.now, send).expect("in flight"),
            Err(ApiError::RetryAfter { seconds, .. }) => {
                self.retry_afters.push((self.now, item.0));
                self.flood
                    .on_retry_after(
                        self.now,
                        send,
                        item,
                        u64::try_from(seconds).unwrap_or(0),
                        RetryScope::Chat,
                    )
                    .expect("in flight");
            }
            Err(e) => panic!("unexpected failure {e:?}"),
        }
    }

    /// Steps to each next deadline until nothing is left; bounded so a livelock fails.
    fn run_to_completion(&mut self, max_steps: usize) {
        for _ in 0..max_steps {
            self.step();
            let next = [
                self.flood.next_ready_at(),
                self.client.poll_timeout(),
                self.sim.next_event(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                None => {
                    assert!(self.pending.is_empty());
                    return;
                }
                Some(at) => {
                    self.now = self.now.max(at);
                    self.sim.advance(self.now);
                    self.client.handle_timeout(self.now);
                }
            }
        }
        panic!("no completion within {max_steps} steps");
    }

    /// Texts and times the bot sent, per chat, in the simulator's execution order.
    fn sent(&self) -> BTreeMap<i64, Vec<(u64, String)>> {
        let mut out: BTreeMap<i64, Vec<(u64, String)>> = BTreeMap::new();
        for e in self.sim.transcript() {
            if e.action == TranscriptAction::Sent {
                let chat = e.chat_id.expect("sends name a chat");
                out.entry(chat)
                    .or_default()
                    .push((e.at, e.text.clone().unwrap_or_default()));
            }
        }
        out
    }
}

/// The 1,000 chats of the scenario: 700 private, 200 groups, 70 supergroups, 30 channels.
fn chats(run: &mut Run) -> Vec<(i64, ChatClass)> {
    let mut chats = Vec::new();
    for i in 0..1_000i64 {
        let (id, class) = match i {
            0..=699 => {
                let user = 500_000 + i;
                run.private_chat(user);
                (user, ChatClass::Private)
            }
            700..=899 => {
                let id = -(4_000 + i);
                run.sim.add_chat(SimChat::group(id, format!("g{i}")));
                (id, ChatClass::Group)
            }
            900..=969 => {
                let id = -1_000_000_000_000 - i;
                run.sim.add_chat(SimChat::supergroup(id, format!("s{i}")));
                (id, ChatClass::Group)
            }
            _ => {
                let id = -1_000_000_100_000 - i;
                run.sim.add_chat(SimChat::channel(id, format!("c{i}")));
                (id, ChatClass::Channel)
            }
        };
        chats.push((id, class));
    }
    chats
}

#[test]
fn ten_thousand_messages_to_a_thousand_chats_without_a_single_429() {
    let mut run = Run::new(FloodConfig::default());
    let chats = chats(&mut run);
    // Ten rounds over the chats, each round in a scrambled order.
    for round in 0..10 {
        for k in 0..1_000usize {
            let (chat, class) = chats[(k * 7_919 + round * 13) % 1_000];
            run.send(chat, class, format!("m{round}"));
        }
    }
    assert_eq!(run.flood.stats(0).queued, 10_000);
    run.run_to_completion(20_000);

    assert_eq!(run.sim.counters().too_many_requests, 0);
    assert!(run.retry_afters.is_empty());
    let sent = run.sent();
    assert_eq!(sent.len(), 1_000);
    let expected: Vec<String> = (0..10).map(|r| format!("m{r}")).collect();
    let mut total = 0;
    let mut last = 0;
    for (chat, messages) in &sent {
        let texts: Vec<String> = messages.iter().map(|(_, t)| t.clone()).collect();
        assert_eq!(texts, expected, "order in chat {chat}");
        total += messages.len();
        last = last.max(messages.last().map_or(0, |(at, _)| *at));
    }
    assert_eq!(total, 10_000);
    // The global budget (30 per second) alone needs 334 one-second windows: the last send
    // cannot leave before 333 s, and the scheduler reaches exactly that.
    assert_eq!(last, 333_000);
    let stats = run.flood.stats(run.now);
    assert_eq!((stats.queued, stats.in_flight), (0, 0));
    // Idle chats are forgotten once their windows have passed.
    run.flood.poll_ready(run.now + 60_000);
    assert_eq!(run.flood.stats(run.now + 60_000).tracked_chats, 0);
}

#[test]
fn a_forced_429_pauses_only_its_chat() {
    let mut run = Run::new(FloodConfig::default());
    let (a, b, c) = (700_001, 700_002, -1_000_000_000_777);
    run.private_chat(a);
    run.private_chat(b);
    run.sim.add_chat(SimChat::supergroup(c, "crowd"));
    run.sim
        .inject_fault(Fault::new(FaultKind::TooManyRequests { retry_after: 3 }).in_chat(a));
    for i in 0..4 {
        run.send(a, ChatClass::Private, format!("a{i}"));
        run.send(b, ChatClass::Private, format!("b{i}"));
        run.send(c, ChatClass::Group, format!("c{i}"));
    }
    run.step();
    assert_eq!(run.retry_afters, vec![(0, a)]);
    assert_eq!(run.flood.chat_paused_until(0, a), Some(3_000));
    assert_eq!(run.flood.stats(0).paused_chats, 1);
    assert_eq!(
        run.flood.queued_in(a),
        4,
        "the refused send is back in the queue"
    );
    run.run_to_completion(1_000);

    assert_eq!(run.sim.counters().too_many_requests, 1);
    let sent = run.sent();
    let times = |chat: i64| sent[&chat].iter().map(|(at, _)| *at).collect::<Vec<_>>();
    let texts = |chat: i64| {
        sent[&chat]
            .iter()
            .map(|(_, t)| t.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(a), ["a0", "a1", "a2", "a3"]);
    assert_eq!(times(a), [3_000, 4_000, 5_000, 6_000]);
    // The other chats never noticed.
    assert_eq!(times(b), [0, 1_000, 2_000, 3_000]);
    assert_eq!(times(c), [0, 1_000, 2_000, 3_000]);
    assert_eq!(texts(c), ["c0", "c1", "c2", "c3"]);
}

#[test]
fn a_long_retry_after_pauses_everything() {
    let mut run = Run::new(FloodConfig::default());
    let (a, b) = (700_011, 700_012);
    run.private_chat(a);
    run.private_chat(b);
    run.sim
        .inject_fault(Fault::new(FaultKind::TooManyRequests { retry_after: 120 }).in_chat(a));
    for i in 0..2 {
        run.send(a, ChatClass::Private, format!("a{i}"));
        run.send(b, ChatClass::Private, format!("b{i}"));
    }
    run.step();
    assert_eq!(run.flood.stats(0).global_paused_until, Some(120_000));
    run.run_to_completion(100);
    let sent = run.sent();
    let times = |chat: i64| sent[&chat].iter().map(|(at, _)| *at).collect::<Vec<_>>();
    // b0 left together with a0, before the answer came; after that nobody sends for 120 s.
    assert_eq!(times(b), [0, 120_000]);
    assert_eq!(times(a), [120_000, 121_000]);
    assert_eq!(run.sim.counters().too_many_requests, 1);
}
