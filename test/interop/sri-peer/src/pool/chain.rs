//! The test chain behind each channel: NewTemplate / SetNewPrevHash messages built here (as a
//! Template Provider would send them, sv2.md §7) and fed to channels_sv2's server standard channel,
//! whose NewMiningJob / mining SetNewPrevHash go to the miner (spec 05: future job, then prev hash).

use super::*;

const REWARD_SATS: u64 = 5_000_000_000;
const JOB_VERSION: u32 = 0x2000_0000;

pub(super) struct Chan {
    pub(super) ch: StandardChannel,
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

pub(super) fn template(id: u64, future: bool, height: u32) -> Result<NewTemplateOwned, String> {
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
        merkle_path: Seq0255Owned::new(Vec::new()).map_err(e)?,
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
    c.ch.on_new_template(template(c.template_id, true, c.height)?, reward())
        .map_err(chan_err)?;
    let job_id =
        c.ch.get_future_job_id_from_template_id(c.template_id)
            .ok_or("future job missing")?;
    let job =
        c.ch.get_future_job(job_id)
            .ok_or("future job missing")?
            .get_job_message()
            .clone();
    log_job(conn, &job);
    tx.send(AnyMessageOwned::Mining(MiningOwned::NewMiningJob(job)))?;
    let ntime = now();
    let network = Target::from_compact(CompactTarget::from_consensus(cfg.nbits));
    c.ch.on_set_new_prev_hash(TdpSetNewPrevHash {
        template_id: c.template_id,
        prev_hash: c.prev_hash.into(),
        header_timestamp: ntime,
        n_bits: cfg.nbits,
        target: network.to_le_bytes().into(),
    })
    .map_err(chan_err)?;
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
    c.ch.on_new_template(template(c.template_id, false, c.height)?, reward())
        .map_err(chan_err)?;
    let job =
        c.ch.get_active_job()
            .ok_or("active job missing")?
            .get_job_message()
            .clone();
    log_job(conn, &job);
    tx.send(AnyMessageOwned::Mining(MiningOwned::NewMiningJob(job)))
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
    let before = *c.ch.get_target();
    let code = match c.ch.update_channel(u.nominal_hash_rate, Some(max_target)) {
        Ok(()) => None,
        Err(
            StandardChannelError::UpdateChannelInvalidNominalHashrate(code)
            | StandardChannelError::UpdateChannelInvalidMaxTarget(code),
        ) => Some(code),
        Err(e) => return Err(chan_err(e)),
    };
    if code.is_none() {
        if let Some(t) = cfg.share_target {
            c.ch.set_target(t.min(max_target)).map_err(chan_err)?;
        }
    }
    let after = *c.ch.get_target();
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
