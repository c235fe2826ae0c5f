//! `sri-peer miner`: a CPU miner whose protocol logic is SRI's. Noise initiator (noise_sv2, with
//! the pool's authority key), SetupConnection, OpenStandardMiningChannel, and channels_sv2's
//! client StandardChannel for jobs, prev hash, target and the local share check; shares are found
//! by a plain sha256d search against the job target. Every step is one JSON line on stdout.

use crate::args::Args;
use crate::keys;
use crate::link::{self, Incoming, Sender};
use crate::out::Line;
use bitcoin::Target;
use channels_sv2::client::standard::StandardChannel;
use channels_sv2::extranonce_manager::ExtranoncePrefix;
use common_messages_sv2::{Protocol, SetupConnectionOwned};
use mining_sv2::*;
use noise_sv2::Initiator;
use parsers_sv2::{AnyMessageOwned, CommonMessagesOwned, MiningOwned};
use std::collections::BTreeMap;
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod search;

struct Miner {
    tx: Sender,
    user: String,
    hashrate: f32,
    channel: Option<StandardChannel>,
    want_good: u32,
    want_bad: bool,
    sent_good: u32,
    sent_bad: bool,
    seq: u32,
    accepted: u32,
    rejected: u32,
    codes: BTreeMap<String, u32>,
    /// (job_id, next nonce) of the search in progress.
    cursor: Option<(u32, u32)>,
}

pub fn run(raw: &[String]) -> Result<i32, String> {
    let a = Args::parse(
        raw,
        &[
            "connect",
            "authority-pubkey",
            "shares",
            "user",
            "hashrate",
            "flags",
            "timeout-sec",
        ],
        &["bad-share"],
    )?;
    let addr = a.required("connect")?;
    let pk = keys::parse_public(a.required("authority-pubkey")?)?;
    let timeout = Duration::from_secs(a.parsed("timeout-sec", 60u64)?);
    let flags: u32 = a.parsed("flags", 0x1u32)?;
    let stream = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => return fatal("connect", &e.to_string()),
    };
    let _ = stream.set_nodelay(true);
    let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "0"));
    let (tx, mut rx) = match link::connect(stream, Initiator::new(Some(pk))) {
        Ok(l) => l,
        Err(e) => return fatal("handshake", &e),
    };
    Line::new("handshake").bool("ok", true).emit();
    let (mtx, mrx) = mpsc::channel();
    std::thread::spawn(move || loop {
        let r = rx.recv();
        let stop = !matches!(r, Ok(Incoming::Message(_)) | Ok(Incoming::Unknown(..)));
        if mtx.send(r).is_err() || stop {
            break;
        }
    });
    let mut m = Miner {
        tx,
        user: a.get("user").unwrap_or("sri-peer.miner").to_string(),
        hashrate: a.parsed("hashrate", 1.0e6f32)?,
        channel: None,
        want_good: a.parsed("shares", 3u32)?,
        want_bad: a.has("bad-share"),
        sent_good: 0,
        sent_bad: false,
        seq: 0,
        accepted: 0,
        rejected: 0,
        codes: BTreeMap::new(),
        cursor: None,
    };
    let e = |e: binary_sv2::Error| format!("{e:?}");
    m.tx.send(AnyMessageOwned::Common(
        CommonMessagesOwned::SetupConnection(SetupConnectionOwned {
            protocol: Protocol::MiningProtocol,
            min_version: 2,
            max_version: 2,
            flags,
            endpoint_host: host.try_into().map_err(e)?,
            endpoint_port: port.parse().unwrap_or(0),
            vendor: "sri-peer".try_into().map_err(e)?,
            hardware_version: "cpu".try_into().map_err(e)?,
            firmware: env!("CARGO_PKG_VERSION").try_into().map_err(e)?,
            device_id: "".try_into().map_err(e)?,
        }),
    ))?;
    let started = Instant::now();
    loop {
        if started.elapsed() > timeout {
            return fatal(
                "timeout",
                &format!("not done after {} s", timeout.as_secs()),
            );
        }
        let busy = m.mine_step()?;
        let next = if busy {
            mrx.try_recv().map_err(|_| ())
        } else {
            mrx.recv_timeout(Duration::from_millis(50)).map_err(|_| ())
        };
        match next {
            Err(()) => {}
            Ok(Ok(Incoming::Message(msg))) => {
                if let Some(code) = m.handle(msg)? {
                    return Ok(code);
                }
            }
            Ok(Ok(Incoming::Unknown(ext, ty, err))) => Line::new("ignored")
                .num("ext", ext)
                .num("msg_type", ty)
                .str("error", &err)
                .emit(),
            Ok(Ok(Incoming::Closed)) => return fatal("closed", "pool closed the connection"),
            Ok(Err(e)) => return fatal("receive", &e),
        }
        let total = m.sent_good + u32::from(m.sent_bad);
        if m.sent_good == m.want_good
            && m.sent_bad == m.want_bad
            && m.accepted + m.rejected >= total
        {
            Line::new("done")
                .num("submitted", total)
                .num("accepted", m.accepted)
                .num("rejected", m.rejected)
                .counts(
                    "rejected_by_code",
                    m.codes.iter().map(|(k, v)| (k.as_str(), *v)),
                )
                .emit();
            m.tx.shutdown();
            return Ok(0);
        }
    }
}

fn fatal(stage: &str, message: &str) -> Result<i32, String> {
    Line::new("fatal")
        .str("stage", stage)
        .str("message", message)
        .emit();
    Ok(2)
}

impl Miner {
    /// Handles one pool message; Some(exit code) ends the run.
    fn handle(&mut self, msg: AnyMessageOwned) -> Result<Option<i32>, String> {
        match msg {
            AnyMessageOwned::Common(CommonMessagesOwned::SetupConnectionSuccess(s)) => {
                Line::new("setup")
                    .bool("ok", true)
                    .num("used_version", s.used_version)
                    .num("flags", s.flags)
                    .emit();
                self.tx.send(AnyMessageOwned::Mining(
                    MiningOwned::OpenStandardMiningChannel(OpenStandardMiningChannelOwned {
                        request_id: 1,
                        user_identity: self
                            .user
                            .as_str()
                            .try_into()
                            .map_err(|e| format!("{e:?}"))?,
                        nominal_hash_rate: self.hashrate,
                        max_target: [0xff; 32].into(),
                    }),
                ))?;
            }
            AnyMessageOwned::Common(CommonMessagesOwned::SetupConnectionError(s)) => {
                Line::new("setup")
                    .bool("ok", false)
                    .num("flags", s.flags)
                    .str(
                        "error_code",
                        &String::from_utf8_lossy(s.error_code.as_bytes()),
                    )
                    .emit();
                return Ok(Some(2));
            }
            AnyMessageOwned::Mining(MiningOwned::OpenStandardMiningChannelSuccess(s)) => {
                Line::new("channel")
                    .num("channel_id", s.channel_id)
                    .num("request_id", s.request_id)
                    .hex("target", s.target.as_bytes())
                    .hex("extranonce_prefix", s.extranonce_prefix.as_bytes())
                    .num("group_channel_id", s.group_channel_id)
                    .emit();
                let prefix = ExtranoncePrefix::from_wire(s.extranonce_prefix.to_owned_bytes())
                    .map_err(|e| format!("{e:?}"))?;
                let ch = StandardChannel::new(
                    s.channel_id,
                    self.user.clone(),
                    prefix,
                    Target::from_le_bytes(s.target.to_array()),
                    self.hashrate,
                    None,
                )
                .map_err(|e| format!("{e:?}"))?;
                self.channel = Some(ch);
            }
            AnyMessageOwned::Mining(MiningOwned::OpenMiningChannelError(s)) => {
                Line::new("channel")
                    .bool("ok", false)
                    .str(
                        "error_code",
                        &String::from_utf8_lossy(s.error_code.as_bytes()),
                    )
                    .emit();
                return Ok(Some(2));
            }
            AnyMessageOwned::Mining(MiningOwned::NewMiningJob(j)) => {
                let min_ntime = j.min_ntime.clone().into_inner();
                let mut l = Line::new("job")
                    .num("channel_id", j.channel_id)
                    .num("job_id", j.job_id)
                    .num("version", j.version)
                    .hex("merkle_root", j.merkle_root.as_bytes());
                l = match min_ntime {
                    Some(t) => l.num("min_ntime", t),
                    None => l.bool("future", true),
                };
                let r = self.channel_mut()?.on_new_mining_job(j);
                l.str(
                    "sri_error",
                    &r.err().map(|e| format!("{e:?}")).unwrap_or_default(),
                )
                .emit();
            }
            AnyMessageOwned::Mining(MiningOwned::SetNewPrevHash(p)) => {
                let l = Line::new("prevhash")
                    .num("channel_id", p.channel_id)
                    .num("job_id", p.job_id)
                    .hex("prev_hash", p.prev_hash.as_bytes())
                    .num("min_ntime", p.min_ntime)
                    .num("nbits", p.nbits);
                let r = self.channel_mut()?.on_set_new_prev_hash(p);
                l.str(
                    "sri_error",
                    &r.err().map(|e| format!("{e:?}")).unwrap_or_default(),
                )
                .emit();
            }
            AnyMessageOwned::Mining(MiningOwned::SetTarget(t)) => {
                Line::new("set_target")
                    .num("channel_id", t.channel_id)
                    .hex("target", t.maximum_target.as_bytes())
                    .emit();
                self.channel_mut()?
                    .set_target(Target::from_le_bytes(t.maximum_target.to_array()))
                    .map_err(|e| format!("{e:?}"))?;
            }
            AnyMessageOwned::Mining(MiningOwned::SubmitSharesSuccess(s)) => {
                self.accepted += s.new_submits_accepted_count;
                Line::new("success")
                    .num("channel_id", s.channel_id)
                    .num("last_sequence_number", s.last_sequence_number)
                    .num("new_submits_accepted_count", s.new_submits_accepted_count)
                    .num("new_shares_sum", s.new_shares_sum)
                    .emit();
                self.channel_mut()?
                    .on_share_acknowledgement(s.new_submits_accepted_count, s.new_shares_sum);
            }
            AnyMessageOwned::Mining(MiningOwned::SubmitSharesError(s)) => {
                let code = String::from_utf8_lossy(s.error_code.as_bytes()).into_owned();
                self.rejected += 1;
                *self.codes.entry(code.clone()).or_default() += 1;
                Line::new("error")
                    .num("channel_id", s.channel_id)
                    .num("sequence_number", s.sequence_number)
                    .str("error_code", &code)
                    .emit();
                self.channel_mut()?.on_share_rejection(&code);
            }
            other => Line::new("ignored")
                .str("message", &format!("{other}"))
                .emit(),
        }
        Ok(None)
    }

    fn channel_mut(&mut self) -> Result<&mut StandardChannel, String> {
        self.channel
            .as_mut()
            .ok_or_else(|| "message before the channel opened".to_string())
    }
}
