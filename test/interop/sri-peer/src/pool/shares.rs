//! SubmitSharesStandard handling: channels_sv2's validate_share gives every verdict; we only
//! send SubmitShares.Success when SRI's share accounting says a batch is complete (sv2.md §6.8)
//! and log each verdict with our own hash of the submitted header for byte-level diagnosis.

use super::chain::{new_active_job, new_block, Chan};
use super::*;

pub(super) fn submit(
    conn: u32,
    cfg: &Config,
    tx: &mut Sender,
    chans: &mut HashMap<u32, Chan>,
    s: SubmitSharesStandardOwned,
) -> Result<(), String> {
    let line = |verdict: &str| {
        Line::new("share")
            .num("conn", conn)
            .num("channel_id", s.channel_id)
            .num("sequence_number", s.sequence_number)
            .num("job_id", s.job_id)
            .num("nonce", s.nonce)
            .num("ntime", s.ntime)
            .num("version", s.version)
            .str("verdict", verdict)
    };
    let reject = |tx: &mut Sender, code: &str| {
        tx.send(AnyMessageOwned::Mining(MiningOwned::SubmitSharesError(
            SubmitSharesErrorOwned {
                channel_id: s.channel_id,
                sequence_number: s.sequence_number,
                error_code: code.try_into().map_err(|e| format!("{e:?}"))?,
            },
        )))
    };
    let Some(c) = chans.get_mut(&s.channel_id) else {
        line("rejected")
            .str("error_code", ERROR_CODE_SUBMIT_SHARES_INVALID_CHANNEL_ID)
            .emit();
        return reject(tx, ERROR_CODE_SUBMIT_SHARES_INVALID_CHANNEL_ID);
    };
    // Our own hash of the submitted header, for diagnosing a disagreement in wire bytes.
    let hash =
        c.ch.get_active_job()
            .filter(|j| j.get_job_id() == s.job_id)
            .or_else(|| c.ch.get_past_job(s.job_id))
            .and_then(|j| {
                let tip = c.ch.get_chain_tip()?;
                let mut h = work::header(
                    s.version,
                    tip.prev_hash().as_array(),
                    j.get_merkle_root().as_array(),
                    s.ntime,
                    tip.nbits(),
                );
                Some(work::hash_with_nonce(&mut h, s.nonce))
            });
    let with_hash = |l: Line| match hash {
        Some(h) => l.hex("hash", &h),
        None => l,
    };
    match c.ch.validate_share(s.clone()) {
        Ok(result) => {
            let block = matches!(result, ShareValidationResult::BlockFound(..));
            with_hash(line("accepted")).bool("block", block).emit();
            c.accepted += 1;
            let acc = c.ch.get_share_accounting();
            // SRI marks a block-found batch as acknowledged: the Success must go out now.
            if block || acc.should_acknowledge() {
                let ok = SubmitSharesSuccessOwned {
                    channel_id: s.channel_id,
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
