//! The test chain behind each channel: NewTemplate / SetNewPrevHash messages built here (as a
//! Template Provider would send them, sv2.md §7) and fed to channels_sv2's server standard or
//! extended channel, whose NewMiningJob / NewExtendedMiningJob and mining SetNewPrevHash go to the
//! miner (spec 05: future job, then prev hash).

use super::*;
use channels_sv2::server::error::ExtendedChannelError;
use channels_sv2::server::extended::ExtendedChannel;
use channels_sv2::server::share_accounting::ShareAccounting;

/// One channel of either kind; every call below is channels_sv2's own.
pub(super) enum Ch {
    Std(StandardChannel),
    Ext(ExtendedChannel),
}

pub(super) fn ext_err(e: ExtendedChannelError) -> String {
    format!("channels_sv2: {e:?}")
}

impl Ch {
    pub(super) fn get_channel_id(&self) -> u32 {
        match self {
            Ch::Std(c) => c.get_channel_id(),
            Ch::Ext(c) => c.get_channel_id(),
        }
    }
    pub(super) fn get_share_accounting(&self) -> &ShareAccounting {
        match self {
            Ch::Std(c) => c.get_share_accounting(),
            Ch::Ext(c) => c.get_share_accounting(),
        }
    }
    pub(super) fn get_target(&self) -> Target {
        match self {
            Ch::Std(c) => *c.get_target(),
            Ch::Ext(c) => *c.get_target(),
        }
    }
    pub(super) fn set_target(&mut self, t: Target) -> Result<(), String> {
        match self {
            Ch::Std(c) => c.set_target(t).map_err(chan_err),
            Ch::Ext(c) => c.set_target(t).map_err(ext_err),
        }
    }
    fn on_new_template(&mut self, t: NewTemplateOwned) -> Result<(), String> {
        match self {
            Ch::Std(c) => c.on_new_template(t, reward()).map_err(chan_err),
            Ch::Ext(c) => c.on_new_template(t, reward()).map_err(ext_err),
        }
    }
    fn on_set_new_prev_hash(&mut self, p: TdpSetNewPrevHash) -> Result<(), String> {
        match self {
            Ch::Std(c) => c.on_set_new_prev_hash(p).map_err(chan_err),
            Ch::Ext(c) => c.on_set_new_prev_hash(p).map_err(ext_err),
        }
    }
    /// The future job made from `template_id`: its id and the message announcing it.
    fn future_job(&self, conn: u32, template_id: u64) -> Result<(u32, MiningOwned), String> {
        match self {
            Ch::Std(c) => {
                let id = c
                    .get_future_job_id_from_template_id(template_id)
                    .ok_or("future job missing")?;
                let j = c.get_future_job(id).ok_or("future job missing")?;
                let m = j.get_job_message().clone();
                log_job(conn, &m);
                Ok((id, MiningOwned::NewMiningJob(m)))
            }
            Ch::Ext(c) => {
                let id = c
                    .get_future_job_id_from_template_id(template_id)
                    .ok_or("future job missing")?;
                let j = c.get_future_job(id).ok_or("future job missing")?;
                let m = j.get_job_message().clone();
                log_ext_job(conn, &m, j.get_extranonce_prefix());
                Ok((id, MiningOwned::NewExtendedMiningJob(m)))
            }
        }
    }
    fn active_job(&self, conn: u32) -> Result<MiningOwned, String> {
        match self {
            Ch::Std(c) => {
                let m = c
                    .get_active_job()
                    .ok_or("active job missing")?
                    .get_job_message()
                    .clone();
                log_job(conn, &m);
                Ok(MiningOwned::NewMiningJob(m))
            }
            Ch::Ext(c) => {
                let j = c.get_active_job().ok_or("active job missing")?;
                let m = j.get_job_message().clone();
                log_ext_job(conn, &m, j.get_extranonce_prefix());
                Ok(MiningOwned::NewExtendedMiningJob(m))
            }
        }
    }
    /// UpdateChannel: Ok(Some(code)) is the SV2 error the client gets.
    fn update_channel(
        &mut self,
        hashrate: f32,
        max: Target,
    ) -> Result<Option<&'static str>, String> {
        match self {
            Ch::Std(c) => match c.update_channel(hashrate, Some(max)) {
                Ok(()) => Ok(None),
                Err(
                    StandardChannelError::UpdateChannelInvalidNominalHashrate(code)
                    | StandardChannelError::UpdateChannelInvalidMaxTarget(code),
                ) => Ok(Some(code)),
                Err(e) => Err(chan_err(e)),
            },
            Ch::Ext(c) => match c.update_channel(hashrate, Some(max)) {
                Ok(()) => Ok(None),
                Err(
                    ExtendedChannelError::UpdateChannelInvalidNominalHashrate(code)
                    | ExtendedChannelError::UpdateChannelInvalidMaxTarget(code),
                ) => Ok(Some(code)),
                Err(e) => Err(ext_err(e)),
            },
        }
    }
}

const REWARD_SATS: u64 = 5_000_000_000;
const JOB_VERSION: u32 = 0x2000_0000;

pub(super) struct Chan {
    pub(super) ch: Ch,
    pub(super) template_id: u64,
    pub(super) height: u32,
    pub(super) prev_hash: [u8; 32],
    pub(super) accepted: u32,
}

pub(super) fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0)
}

/// Two made-up transaction ids after the coinbase, for extended channels: their jobs then carry a
/// real merkle path for the miner to climb.
fn fake_txids(id: u64) -> Vec<binary_sv2::U256Owned> {
    (0..2u8)
        .map(|i| {
            sha256::Hash::hash(format!("sri-peer tx {id}.{i}").as_bytes())
                .to_byte_array()
                .into()
        })
        .collect()
}

pub(super) fn template(
    id: u64,
    future: bool,
    height: u32,
    with_path: bool,
) -> Result<NewTemplateOwned, String> {
    let e = |e: binary_sv2::Error| format!("template: {e:?}");
    // BIP34 height push, as a Template Provider would put first in the scriptSig, then the
    // template id so every template (and so every job's merkle root) differs; 8 bytes is the
    // spec's coinbase_prefix maximum.
    let h = height.to_le_bytes();
    let t = (id as u32).to_le_bytes();
    Ok(NewTemplateOwned {
        template_id: id,
        future_template: future,
        version: JOB_VERSION,
        coinbase_tx_version: 2,
        coinbase_prefix: vec![0x03, h[0], h[1], h[2], 0x03, t[0], t[1], t[2]]
            .try_into()
            .map_err(e)?,
        coinbase_tx_input_sequence: 0xffff_ffff,
        coinbase_tx_value_remaining: REWARD_SATS,
        coinbase_tx_outputs_count: 0,
        coinbase_tx_outputs: Vec::new().try_into().map_err(e)?,
        coinbase_tx_locktime: 0,
        merkle_path: Seq0255Owned::new(if with_path {
            fake_txids(id)
        } else {
            Vec::new()
        })
        .map_err(e)?,
    })
}

pub(super) fn reward() -> Vec<TxOut> {
    // OP_TRUE: the pool's payout script does not matter on a loopback test chain.
    vec![TxOut {
        value: Amount::from_sat(REWARD_SATS),
        script_pubkey: ScriptBuf::from(vec![0x51]),
    }]
}

pub(super) fn prev_hash_for(height: u32, conn: u32) -> [u8; 32] {
    sha256::Hash::hash(format!("sri-peer test chain {conn} height {height}").as_bytes())
        .to_byte_array()
}

pub(super) fn chan_err(e: StandardChannelError) -> String {
    format!("channels_sv2: {e:?}")
}

/// Future template -> NewMiningJob, then TDP SetNewPrevHash -> mining SetNewPrevHash (spec 05:
/// a future job is the first thing after the channel opens, activated by the prev hash).
pub(super) fn new_block(
    conn: u32,
    cfg: &Config,
    tx: &mut Sender,
    c: &mut Chan,
) -> Result<(), String> {
    c.height += 1;
    c.template_id += 1;
    c.prev_hash = prev_hash_for(c.height, conn);
    let with_path = matches!(c.ch, Ch::Ext(_));
    c.ch.on_new_template(template(c.template_id, true, c.height, with_path)?)?;
    let (job_id, job) = c.ch.future_job(conn, c.template_id)?;
    tx.send(AnyMessageOwned::Mining(job))?;
    let ntime = now();
    let network = Target::from_compact(CompactTarget::from_consensus(cfg.nbits));
    c.ch.on_set_new_prev_hash(TdpSetNewPrevHash {
        template_id: c.template_id,
        prev_hash: c.prev_hash.into(),
        header_timestamp: ntime,
        n_bits: cfg.nbits,
        target: network.to_le_bytes().into(),
    })?;
    let snph = SetNewPrevHashOwned {
        channel_id: c.ch.get_channel_id(),
        job_id,
        prev_hash: c.prev_hash.into(),
        min_ntime: ntime,
        nbits: cfg.nbits,
    };
    Line::new("prevhash")
        .num("conn", conn)
        .num("channel_id", snph.channel_id)
        .num("job_id", job_id)
        .hex("prev_hash", &c.prev_hash)
        .num("min_ntime", ntime)
        .num("nbits", cfg.nbits)
        .emit();
    tx.send(AnyMessageOwned::Mining(MiningOwned::SetNewPrevHash(snph)))
}

/// Non-future template on the current tip -> NewMiningJob with min_ntime set (active at once).
pub(super) fn new_active_job(conn: u32, tx: &mut Sender, c: &mut Chan) -> Result<(), String> {
    c.template_id += 1;
    let with_path = matches!(c.ch, Ch::Ext(_));
    c.ch.on_new_template(template(c.template_id, false, c.height, with_path)?)?;
    let job = c.ch.active_job(conn)?;
    tx.send(AnyMessageOwned::Mining(job))
}

pub(super) fn log_ext_job(conn: u32, j: &NewExtendedMiningJobOwned, extranonce_prefix: &[u8]) {
    let min_ntime = j.min_ntime.clone().into_inner();
    let path: Vec<String> = j
        .merkle_path
        .clone()
        .into_inner()
        .iter()
        .map(|h| crate::out::hex(h.as_bytes()))
        .collect();
    let mut l = Line::new("job")
        .num("conn", conn)
        .num("channel_id", j.channel_id)
        .num("job_id", j.job_id)
        .num("version", j.version)
        .bool("version_rolling_allowed", j.version_rolling_allowed)
        .hex("coinbase_tx_prefix", j.coinbase_tx_prefix.as_bytes())
        .hex("coinbase_tx_suffix", j.coinbase_tx_suffix.as_bytes())
        .hex("extranonce_prefix", extranonce_prefix)
        .str("merkle_path", &path.join(","));
    l = match min_ntime {
        Some(t) => l.num("min_ntime", t),
        None => l.bool("future", true),
    };
    l.emit();
}

pub(super) fn log_job(conn: u32, j: &NewMiningJobOwned) {
    let min_ntime = j.min_ntime.clone().into_inner();
    let mut l = Line::new("job")
        .num("conn", conn)
        .num("channel_id", j.channel_id)
        .num("job_id", j.job_id)
        .num("version", j.version)
        .hex("merkle_root", j.merkle_root.as_bytes());
    l = match min_ntime {
        Some(t) => l.num("min_ntime", t),
        None => l.bool("future", true),
    };
    l.emit();
}

pub(super) fn open_channel(
    conn: u32,
    shared: &Shared,
    tx: &mut Sender,
    chans: &mut HashMap<u32, Chan>,
    o: OpenStandardMiningChannelOwned,
) -> Result<(), String> {
    let cfg = &shared.cfg;
    let user = text(&o.user_identity);
    let max_target = Target::from_le_bytes(o.max_target.to_array());
    let prefix = shared
        .allocator
        .lock()
        .map_err(|_| "allocator lock")?
        .allocate_standard()
        .map_err(|e| format!("{e:?}"))?;
    let channel_id = shared.next_channel_id.fetch_add(1, Ordering::Relaxed);
    let opened = StandardChannel::new_for_pool(
        channel_id,
        user.clone(),
        prefix,
        max_target,
        o.nominal_hash_rate,
        cfg.batch_size,
        cfg.shares_per_minute,
        "sri-peer".into(),
        None,
    );
    let mut ch = match opened {
        Ok(ch) => ch,
        Err(e) => {
            let code = match e {
                StandardChannelError::OpenChannelInvalidNominalHashrate(c)
                | StandardChannelError::OpenChannelInvalidMaxTarget(c) => c,
                _ => "open-channel-failed",
            };
            Line::new("channel_refused")
                .num("conn", conn)
                .num("request_id", o.request_id)
                .str("error_code", code)
                .str("detail", &format!("{e:?}"))
                .emit();
            return send_open_error(tx, o.request_id, code);
        }
    };
    if let Some(t) = cfg.share_target {
        // A fixed easy target for CPU tests, never easier than the client's max_target.
        ch.set_target(t.min(max_target)).map_err(chan_err)?;
    }
    let target = ch.get_target().to_le_bytes();
    let extranonce_prefix = ch.get_extranonce_prefix().to_vec();
    let ch = Ch::Std(ch);
    Line::new("channel_opened")
        .num("conn", conn)
        .num("request_id", o.request_id)
        .num("channel_id", channel_id)
        .str("user", &user)
        .float("nominal_hash_rate", o.nominal_hash_rate as f64)
        .hex("max_target", o.max_target.as_bytes())
        .hex("target", &target)
        .hex("extranonce_prefix", &extranonce_prefix)
        .emit();
    tx.send(AnyMessageOwned::Mining(
        MiningOwned::OpenStandardMiningChannelSuccess(OpenStandardMiningChannelSuccessOwned {
            request_id: o.request_id,
            channel_id,
            target: target.into(),
            extranonce_prefix: extranonce_prefix.try_into().map_err(|e| format!("{e:?}"))?,
            group_channel_id: 0,
        }),
    ))?;
    let mut c = Chan {
        ch,
        template_id: 0,
        height: 100,
        prev_hash: [0; 32],
        accepted: 0,
    };
    new_block(conn, cfg, tx, &mut c)?;
    chans.insert(channel_id, c);
    Ok(())
}

pub(super) fn update_channel(
    conn: u32,
    cfg: &Config,
    tx: &mut Sender,
    chans: &mut HashMap<u32, Chan>,
    u: UpdateChannelOwned,
) -> Result<(), String> {
    let Some(c) = chans.get_mut(&u.channel_id) else {
        return tx.send(AnyMessageOwned::Mining(MiningOwned::UpdateChannelError(
            UpdateChannelErrorOwned {
                channel_id: u.channel_id,
                error_code: ERROR_CODE_UPDATE_CHANNEL_INVALID_CHANNEL_ID
                    .try_into()
                    .map_err(|e| format!("{e:?}"))?,
            },
        )));
    };
    let max_target = Target::from_le_bytes(u.maximum_target.to_array());
    let before = c.ch.get_target();
    let code = c.ch.update_channel(u.nominal_hash_rate, max_target)?;
    if code.is_none() {
        if let Some(t) = cfg.share_target {
            c.ch.set_target(t.min(max_target))?;
        }
    }
    let after = c.ch.get_target();
    Line::new("update_channel")
        .num("conn", conn)
        .num("channel_id", u.channel_id)
        .float("nominal_hash_rate", u.nominal_hash_rate as f64)
        .str("error_code", code.unwrap_or(""))
        .hex("target", &after.to_le_bytes())
        .emit();
    if let Some(code) = code {
        return tx.send(AnyMessageOwned::Mining(MiningOwned::UpdateChannelError(
            UpdateChannelErrorOwned {
                channel_id: u.channel_id,
                error_code: code.try_into().map_err(|e| format!("{e:?}"))?,
            },
        )));
    }
    if after != before {
        tx.send(AnyMessageOwned::Mining(MiningOwned::SetTarget(
            SetTargetOwned {
                channel_id: u.channel_id,
                maximum_target: after.to_le_bytes().into(),
            },
        )))?;
    }
    Ok(())
}

/// OpenExtendedMiningChannel: channels_sv2's server ExtendedChannel with an extranonce prefix
/// from the shared allocator and every rollable byte it leaves (>= min_extranonce_size).
pub(super) fn open_extended(
    conn: u32,
    shared: &Shared,
    tx: &mut Sender,
    chans: &mut HashMap<u32, Chan>,
    o: OpenExtendedMiningChannelOwned,
    setup_flags: u32,
) -> Result<(), String> {
    let cfg = &shared.cfg;
    let user = text(&o.user_identity);
    let refuse = |tx: &mut Sender, code: &str, detail: &str| {
        Line::new("channel_refused")
            .num("conn", conn)
            .num("request_id", o.request_id)
            .str("error_code", code)
            .str("detail", detail)
            .emit();
        send_open_error(tx, o.request_id, code)
    };
    // REQUIRES_STANDARD_JOBS: the client said it cannot take extended jobs (spec 05 §5.3.3).
    if setup_flags & 0x1 != 0 {
        return refuse(
            tx,
            ERROR_CODE_OPEN_MINING_CHANNEL_EXTENDED_CHANNELS_NOT_SUPPORTED_FOR_STANDARD_JOBS,
            "SetupConnection had REQUIRES_STANDARD_JOBS",
        );
    }
    let max_target = Target::from_le_bytes(o.max_target.to_array());
    let (prefix, rollable) = {
        let mut a = shared.allocator.lock().map_err(|_| "allocator lock")?;
        let rollable = a.rollable_extranonce_size();
        match a.allocate_extended(o.min_extranonce_size as usize) {
            Ok(p) => (p, rollable),
            Err(e) => {
                return refuse(
                    tx,
                    ERROR_CODE_OPEN_MINING_CHANNEL_MIN_EXTRANONCE_SIZE_TOO_LARGE,
                    &format!("{e:?}"),
                )
            }
        }
    };
    let channel_id = shared.next_channel_id.fetch_add(1, Ordering::Relaxed);
    let opened = ExtendedChannel::new_for_pool(
        channel_id,
        user.clone(),
        prefix,
        max_target,
        o.nominal_hash_rate,
        true,
        rollable as u16,
        cfg.batch_size,
        cfg.shares_per_minute,
        "sri-peer".into(),
        None,
    );
    let mut ch = match opened {
        Ok(ch) => ch,
        Err(e) => {
            let code = match e {
                ExtendedChannelError::OpenChannelInvalidNominalHashrate(c)
                | ExtendedChannelError::OpenChannelInvalidMaxTarget(c) => c,
                _ => "open-channel-failed",
            };
            return refuse(tx, code, &format!("{e:?}"));
        }
    };
    if let Some(t) = cfg.share_target {
        ch.set_target(t.min(max_target)).map_err(ext_err)?;
    }
    let target = ch.get_target().to_le_bytes();
    let extranonce_prefix = ch.get_extranonce_prefix().to_vec();
    let extranonce_size = ch.get_rollable_extranonce_size();
    Line::new("channel_opened")
        .num("conn", conn)
        .num("request_id", o.request_id)
        .num("channel_id", channel_id)
        .str("kind", "extended")
        .str("user", &user)
        .float("nominal_hash_rate", o.nominal_hash_rate as f64)
        .hex("max_target", o.max_target.as_bytes())
        .hex("target", &target)
        .num("min_extranonce_size", o.min_extranonce_size)
        .num("extranonce_size", extranonce_size)
        .hex("extranonce_prefix", &extranonce_prefix)
        .emit();
    tx.send(AnyMessageOwned::Mining(
        MiningOwned::OpenExtendedMiningChannelSuccess(OpenExtendedMiningChannelSuccessOwned {
            request_id: o.request_id,
            channel_id,
            target: target.into(),
            extranonce_size,
            extranonce_prefix: extranonce_prefix.try_into().map_err(|e| format!("{e:?}"))?,
            group_channel_id: 0,
        }),
    ))?;
    let mut c = Chan {
        ch: Ch::Ext(ch),
        template_id: 0,
        height: 100,
        prev_hash: [0; 32],
        accepted: 0,
    };
    new_block(conn, cfg, tx, &mut c)?;
    chans.insert(channel_id, c);
    Ok(())
}
