//! SubmitSharesStandard / SubmitSharesExtended handling: channels_sv2's validate_share (of the
//! channel's own kind) gives every verdict; we only
//! send SubmitShares.Success when SRI's share accounting says a batch is complete (sv2.md §6.8)
//! and log each verdict with our own hash of the submitted header for byte-level diagnosis.

use super::chain::{new_active_job, new_block, Ch, Chan};
use super::*;

/// A share of either kind, as the client sent it.
pub(super) enum Submitted {
    Std(SubmitSharesStandardOwned),
    Ext(SubmitSharesExtendedOwned),
}

pub(super) fn submit(
    conn: u32,
    cfg: &Config,
    tx: &mut Sender,
    chans: &mut HashMap<u32, Chan>,
    share: Submitted,
) -> Result<(), String> {
    let (channel_id, sequence_number, job_id, nonce, ntime, version, extranonce) = match &share {
        Submitted::Std(s) => (
            s.channel_id,
            s.sequence_number,
            s.job_id,
            s.nonce,
            s.ntime,
            s.version,
            None,
        ),
        Submitted::Ext(s) => (
            s.channel_id,
            s.sequence_number,
            s.job_id,
            s.nonce,
            s.ntime,
            s.version,
            Some(s.extranonce.as_bytes().to_vec()),
        ),
    };
    let line = |verdict: &str| {
        let l = Line::new("share")
            .num("conn", conn)
            .num("channel_id", channel_id)
            .num("sequence_number", sequence_number)
            .num("job_id", job_id)
            .num("nonce", nonce)
            .num("ntime", ntime)
            .num("version", version)
            .str("verdict", verdict);
        match &extranonce {
            Some(e) => l.hex("extranonce", e),
            None => l,
        }
    };
    let reject = |tx: &mut Sender, code: &str| {
        tx.send(AnyMessageOwned::Mining(MiningOwned::SubmitSharesError(
            SubmitSharesErrorOwned {
                channel_id,
                sequence_number,
                error_code: code.try_into().map_err(|e| format!("{e:?}"))?,
            },
        )))
    };
    let Some(c) = chans.get_mut(&channel_id) else {
        line("rejected")
            .str("error_code", ERROR_CODE_SUBMIT_SHARES_INVALID_CHANNEL_ID)
            .emit();
        return reject(tx, ERROR_CODE_SUBMIT_SHARES_INVALID_CHANNEL_ID);
    };
    // Our own hash of the submitted header, for diagnosing a disagreement in wire bytes.
    let hash = match (&c.ch, &share) {
        (Ch::Std(ch), Submitted::Std(_)) => ch
            .get_active_job()
            .filter(|j| j.get_job_id() == job_id)
            .or_else(|| ch.get_past_job(job_id))
            .and_then(|j| {
                let tip = ch.get_chain_tip()?;
                let mut h = work::header(
                    version,
                    tip.prev_hash().as_array(),
                    j.get_merkle_root().as_array(),
                    ntime,
                    tip.nbits(),
                );
                Some(work::hash_with_nonce(&mut h, nonce))
            }),
        (Ch::Ext(ch), Submitted::Ext(s)) => ch
            .get_active_job()
            .filter(|j| j.get_job_id() == job_id)
            .or_else(|| ch.get_past_job(job_id))
            .and_then(|j| {
                let tip = ch.get_chain_tip()?;
                let mut full = j.get_extranonce_prefix().to_vec();
                full.extend_from_slice(s.extranonce.as_bytes());
                let path: Vec<Vec<u8>> = j
                    .get_merkle_path()
                    .clone()
                    .into_inner()
                    .iter()
                    .map(|h| h.as_bytes().to_vec())
                    .collect();
                let root = channels_sv2::merkle_root::merkle_root_from_path(
                    &j.get_coinbase_tx_prefix_without_bip141(),
                    &j.get_coinbase_tx_suffix_without_bip141(),
                    &full,
                    &path,
                )?;
                let mut h = work::header(
                    version,
                    tip.prev_hash().as_array(),
                    &root,
                    ntime,
                    tip.nbits(),
                );
                Some(work::hash_with_nonce(&mut h, nonce))
            }),
        _ => None,
    };
    let with_hash = |l: Line| match hash {
        Some(h) => l.hex("hash", &h),
        None => l,
    };
    let verdict = match (&mut c.ch, share) {
        (Ch::Std(ch), Submitted::Std(s)) => ch.validate_share(s),
        (Ch::Ext(ch), Submitted::Ext(s)) => ch.validate_share(s),
        // A standard share on an extended channel or the reverse: no such channel for it.
        _ => {
            line("rejected")
                .str("error_code", ERROR_CODE_SUBMIT_SHARES_INVALID_CHANNEL_ID)
                .str("detail", "share kind does not match the channel kind")
                .emit();
            return reject(tx, ERROR_CODE_SUBMIT_SHARES_INVALID_CHANNEL_ID);
        }
    };
    match verdict {
        Ok(result) => {
            let block = matches!(result, ShareValidationResult::BlockFound(..));
            with_hash(line("accepted")).bool("block", block).emit();
            c.accepted += 1;
            let acc = c.ch.get_share_accounting();
            // SRI marks a block-found batch as acknowledged: the Success must go out now.
            if block || acc.should_acknowledge() {
                let ok = SubmitSharesSuccessOwned {
                    channel_id,
                    last_sequence_number: acc.get_last_share_sequence_number(),
                    new_submits_accepted_count: acc.get_last_batch_accepted(),
                    new_shares_sum: acc.get_last_batch_work_sum(),
                };
                Line::new("ack")
                    .num("conn", conn)
                    .num("channel_id", ok.channel_id)
                    .num("last_sequence_number", ok.last_sequence_number)
                    .num("new_submits_accepted_count", ok.new_submits_accepted_count)
                    .num("new_shares_sum", ok.new_shares_sum)
                    .emit();
                tx.send(AnyMessageOwned::Mining(MiningOwned::SubmitSharesSuccess(
                    ok,
                )))?;
            }
            if cfg.block_every > 0 && c.accepted.is_multiple_of(cfg.block_every) {
                new_block(conn, cfg, tx, c)?;
            } else if cfg.job_every > 0 && c.accepted.is_multiple_of(cfg.job_every) {
                new_active_job(conn, tx, c)?;
            }
            Ok(())
        }
        Err(e) => {
            let code = match e {
                ShareValidationError::Invalid(c)
                | ShareValidationError::Stale(c)
                | ShareValidationError::InvalidJobId(c)
                | ShareValidationError::DoesNotMeetTarget(c)
                | ShareValidationError::VersionRollingNotAllowed(c)
                | ShareValidationError::DuplicateShare(c)
                | ShareValidationError::BadExtranonceSize(c) => c,
                other => {
                    with_hash(line("rejected"))
                        .str("error_code", &format!("{other:?}"))
                        .emit();
                    return Err(format!("share validation failed fatally: {other:?}"));
                }
            };
            with_hash(line("rejected")).str("error_code", code).emit();
            reject(tx, code)
        }
    }
}
