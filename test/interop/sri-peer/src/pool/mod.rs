//! `sri-peer pool`: a loopback SV2 pool whose protocol logic is SRI's. Noise responder with an
//! authority-signed certificate (noise_sv2), SetupConnection, and per channel channels_sv2's
//! server StandardChannel or ExtendedChannel (OpenExtendedMiningChannel) fed with Template Distribution NewTemplate/SetNewPrevHash messages we
//! build here (no node). Every share verdict is SRI's validate_share, logged as one JSON line.

use crate::args::Args;
use crate::keys;
use crate::link::{self, Incoming, Sender};
use crate::out::Line;
use crate::work;
use binary_sv2::Seq0255Owned;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{Amount, CompactTarget, ScriptBuf, Target, TxOut};
use channels_sv2::extranonce_manager::ExtranonceAllocator;
use channels_sv2::server::error::StandardChannelError;
use channels_sv2::server::share_accounting::{ShareValidationError, ShareValidationResult};
use channels_sv2::server::standard::StandardChannel;
use common_messages_sv2::{
    Protocol, SetupConnectionErrorOwned, SetupConnectionOwned, SetupConnectionSuccessOwned,
};
use mining_sv2::*;
use noise_sv2::Responder;
use parsers_sv2::{AnyMessageOwned, CommonMessagesOwned, MiningOwned};
use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use template_distribution_sv2::{NewTemplateOwned, SetNewPrevHashOwned as TdpSetNewPrevHash};

mod chain;
mod shares;

use chain::{open_channel, open_extended, update_channel, Chan};
use shares::{submit, Submitted};

struct Config {
    authority_public: [u8; 32],
    authority_secret: [u8; 32],
    cert_validity: Duration,
    share_target: Option<Target>,
    nbits: u32,
    batch_size: usize,
    shares_per_minute: f32,
    echo_flags: bool,
    block_every: u32,
    job_every: u32,
}

struct Shared {
    cfg: Config,
    allocator: Mutex<ExtranonceAllocator>,
    next_channel_id: AtomicU32,
    next_conn_id: AtomicU32,
}

pub fn run(raw: &[String]) -> Result<(), String> {
    let a = Args::parse(
        raw,
        &[
            "listen",
            "authority-secret",
            "share-difficulty",
            "nbits",
            "batch-size",
            "shares-per-minute",
            "cert-validity-sec",
            "block-every",
            "job-every",
        ],
        &["echo-flags"],
    )?;
    let secret = keys::parse_secret(a.required("authority-secret")?)?;
    let public = keys::xonly_of(&secret);
    let difficulty: Option<f64> = match a.get("share-difficulty") {
        None => None,
        Some(v) => Some(
            v.parse()
                .map_err(|_| format!("--share-difficulty: cannot parse {v}"))?,
        ),
    };
    let cfg = Config {
        authority_public: public.serialize(),
        authority_secret: secret.secret_bytes(),
        cert_validity: Duration::from_secs(a.parsed("cert-validity-sec", 3600u64)?),
        share_target: difficulty.map(work::difficulty_to_target),
        nbits: a.parsed("nbits", 0x1d00_ffffu32)?,
        batch_size: a.parsed("batch-size", 1usize)?,
        shares_per_minute: a.parsed("shares-per-minute", 6.0f32)?,
        echo_flags: a.has("echo-flags"),
        block_every: a.parsed("block-every", 0u32)?,
        job_every: a.parsed("job-every", 0u32)?,
    };
    // 16-byte standard-channel extranonce: "sri-peer" then a per-channel index, zero padded.
    let allocator = ExtranonceAllocator::new(b"sri-peer".to_vec(), 16, 256)
        .map_err(|e| format!("extranonce allocator: {e:?}"))?;
    let listener = TcpListener::bind(a.get("listen").unwrap_or("127.0.0.1:0"))
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // The one plain-text line: tests wait for it before connecting.
    println!(
        "listening {addr} authority {}",
        keys::encode_public(&public)
    );
    let shared = Arc::new(Shared {
        cfg,
        allocator: Mutex::new(allocator),
        next_channel_id: AtomicU32::new(1),
        next_conn_id: AtomicU32::new(1),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || serve(stream, &shared));
    }
    Ok(())
}

fn serve(stream: TcpStream, shared: &Shared) {
    let conn = shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    Line::new("connection")
        .num("conn", conn)
        .str("peer", &peer)
        .emit();
    let cfg = &shared.cfg;
    let responder = match Responder::from_authority_kp(
        &cfg.authority_public,
        &cfg.authority_secret,
        cfg.cert_validity,
    ) {
        Ok(r) => r,
        Err(e) => {
            return Line::new("handshake")
                .num("conn", conn)
                .bool("ok", false)
                .str("error", &format!("{e:?}"))
                .emit()
        }
    };
    let (mut tx, mut rx) = match link::accept(stream, responder) {
        Ok(l) => l,
        Err(e) => {
            return Line::new("handshake")
                .num("conn", conn)
                .bool("ok", false)
                .str("error", &e)
                .emit()
        }
    };
    Line::new("handshake")
        .num("conn", conn)
        .bool("ok", true)
        .emit();
    let mut chans: HashMap<u32, Chan> = HashMap::new();
    let mut setup = false;
    let mut setup_flags = 0u32;
    let end = loop {
        let m = match rx.recv() {
            Ok(Incoming::Message(m)) => m,
            Ok(Incoming::Closed) => break "peer closed".to_string(),
            Ok(Incoming::Unknown(ext, ty, e)) => {
                Line::new("ignored")
                    .num("conn", conn)
                    .num("ext", ext)
                    .num("msg_type", ty)
                    .str("error", &e)
                    .emit();
                continue;
            }
            Err(e) => break e,
        };
        let r = match m {
            AnyMessageOwned::Common(CommonMessagesOwned::SetupConnection(s)) => {
                setup_flags = s.flags;
                let r = on_setup(conn, cfg, &mut tx, s);
                setup = r.is_ok();
                r
            }
            _ if !setup => Err("message before SetupConnection".to_string()),
            AnyMessageOwned::Mining(MiningOwned::OpenStandardMiningChannel(o)) => {
                open_channel(conn, shared, &mut tx, &mut chans, o)
            }
            AnyMessageOwned::Mining(MiningOwned::OpenExtendedMiningChannel(o)) => {
                open_extended(conn, shared, &mut tx, &mut chans, o, setup_flags)
            }
            AnyMessageOwned::Mining(MiningOwned::SubmitSharesStandard(s)) => {
                submit(conn, cfg, &mut tx, &mut chans, Submitted::Std(s))
            }
            AnyMessageOwned::Mining(MiningOwned::SubmitSharesExtended(s)) => {
                submit(conn, cfg, &mut tx, &mut chans, Submitted::Ext(s))
            }
            AnyMessageOwned::Mining(MiningOwned::UpdateChannel(u)) => {
                update_channel(conn, cfg, &mut tx, &mut chans, u)
            }
            AnyMessageOwned::Mining(MiningOwned::CloseChannel(c)) => {
                Line::new("channel_closed")
                    .num("conn", conn)
                    .num("channel_id", c.channel_id)
                    .emit();
                if let Some(c) = chans.remove(&c.channel_id) {
                    summary(conn, &c);
                }
                Ok(())
            }
            other => {
                Line::new("ignored")
                    .num("conn", conn)
                    .str("message", &format!("{other}"))
                    .emit();
                Ok(())
            }
        };
        if let Err(e) = r {
            break e;
        }
    };
    tx.shutdown();
    for c in chans.values() {
        summary(conn, c);
    }
    Line::new("disconnect")
        .num("conn", conn)
        .str("reason", &end)
        .emit();
}

fn summary(conn: u32, c: &Chan) {
    let acc = c.ch.get_share_accounting();
    let mut rejected: Vec<(&str, u32)> = acc.get_rejected_shares().collect();
    rejected.sort();
    Line::new("channel_summary")
        .num("conn", conn)
        .num("channel_id", c.ch.get_channel_id())
        .num("accepted", acc.get_shares_accepted())
        .num("rejected", acc.get_rejected_shares_count())
        .counts("rejected_by_code", rejected)
        .float("work_sum", acc.get_share_work_sum())
        .emit();
}

fn text(s: &binary_sv2::Str0255Owned) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

fn on_setup(
    conn: u32,
    cfg: &Config,
    tx: &mut Sender,
    s: SetupConnectionOwned,
) -> Result<(), String> {
    Line::new("setup")
        .num("conn", conn)
        .num("protocol", s.protocol as u8)
        .num("min_version", s.min_version)
        .num("max_version", s.max_version)
        .num("flags", s.flags)
        .str("endpoint_host", &text(&s.endpoint_host))
        .num("endpoint_port", s.endpoint_port)
        .str("vendor", &text(&s.vendor))
        .str("hardware_version", &text(&s.hardware_version))
        .str("firmware", &text(&s.firmware))
        .str("device_id", &text(&s.device_id))
        .emit();
    let refuse = |tx: &mut Sender, flags: u32, code: &str| -> Result<(), String> {
        tx.send(AnyMessageOwned::Common(
            CommonMessagesOwned::SetupConnectionError(SetupConnectionErrorOwned {
                flags,
                error_code: code.try_into().map_err(|e| format!("{e:?}"))?,
            }),
        ))?;
        Err(format!("SetupConnection refused: {code}"))
    };
    if s.protocol != Protocol::MiningProtocol {
        return refuse(
            tx,
            0,
            common_messages_sv2::ERROR_CODE_SETUP_CONNECTION_UNSUPPORTED_PROTOCOL,
        );
    }
    if s.min_version > 2 || s.max_version < 2 {
        return refuse(
            tx,
            0,
            common_messages_sv2::ERROR_CODE_SETUP_CONNECTION_PROTOCOL_VERSION_MISMATCH,
        );
    }
    // REQUIRES_WORK_SELECTION (bit 1): this pool has no job declaration.
    if s.flags & 0x2 != 0 {
        return refuse(
            tx,
            0x2,
            common_messages_sv2::ERROR_CODE_SETUP_CONNECTION_UNSUPPORTED_FEATURE_FLAGS,
        );
    }
    // --echo-flags reproduces the SRI pool app's echo of the request flags (sv2.md gotcha 21).
    let flags = if cfg.echo_flags { s.flags } else { 0 };
    tx.send(AnyMessageOwned::Common(
        CommonMessagesOwned::SetupConnectionSuccess(SetupConnectionSuccessOwned {
            used_version: 2,
            flags,
        }),
    ))
}

fn send_open_error(tx: &mut Sender, request_id: u32, code: &str) -> Result<(), String> {
    tx.send(AnyMessageOwned::Mining(
        MiningOwned::OpenMiningChannelError(OpenMiningChannelErrorOwned {
            request_id,
            error_code: code.try_into().map_err(|e| format!("{e:?}"))?,
        }),
    ))
}
