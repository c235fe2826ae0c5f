//! The miner's CPU search: one batch of nonces at a time on the active job of SRI's client
//! channel, header bytes per sv2.md §6.3; a found share is checked by channels_sv2's client
//! validate_share before it is submitted (the deliberately bad one is not).

use super::Miner;
use crate::out::Line;
use crate::work;
use mining_sv2::SubmitSharesStandardOwned;
use parsers_sv2::{AnyMessageOwned, MiningOwned};

const BATCH: u32 = 1 << 16;

impl Miner {
    /// One batch of nonces on the active job; true while there is hashing left to do.
    pub(super) fn mine_step(&mut self) -> Result<bool, String> {
        let need_good = self.sent_good < self.want_good;
        let need_bad = !need_good && self.want_bad && !self.sent_bad;
        if !need_good && !need_bad {
            return Ok(false);
        }
        let Some(ch) = self.channel.as_ref() else {
            return Ok(false);
        };
        let (Some(job), Some(tip)) = (ch.get_active_job(), ch.get_chain_tip()) else {
            return Ok(false);
        };
        let j = &job.job_message;
        let ntime = j.min_ntime.clone().into_inner().unwrap_or(tip.min_ntime());
        let job_id = j.job_id;
        let start = match self.cursor {
            Some((id, n)) if id == job_id => n,
            _ => 0,
        };
        let mut header = work::header(
            j.version,
            tip.prev_hash().as_array(),
            j.merkle_root.as_array(),
            ntime,
            tip.nbits(),
        );
        let target = job.target;
        let version = j.version;
        let channel_id = ch.get_channel_id();
        for nonce in start..start.saturating_add(BATCH) {
            let hash = work::hash_with_nonce(&mut header, nonce);
            // A good share meets the target; the deliberately bad one is any nonce that does not.
            if work::meets(&hash, &target) != need_good {
                continue;
            }
            self.cursor = Some((job_id, nonce + 1));
            let share = SubmitSharesStandardOwned {
                channel_id,
                sequence_number: self.seq,
                job_id,
                nonce,
                ntime,
                version,
            };
            if need_good {
                // SRI's client-side check must agree with the search before we submit.
                if let Err(e) = self.channel_mut()?.validate_share(share.clone()) {
                    Line::new("local_reject")
                        .num("job_id", job_id)
                        .num("nonce", nonce)
                        .hex("hash", &hash)
                        .str("sri_error", &format!("{e:?}"))
                        .emit();
                    continue;
                }
            }
            Line::new("submit")
                .num("channel_id", channel_id)
                .num("sequence_number", self.seq)
                .num("job_id", job_id)
                .num("nonce", nonce)
                .num("ntime", ntime)
                .num("version", version)
                .hex("hash", &hash)
                .bool("bad", !need_good)
                .emit();
            self.tx
                .send(AnyMessageOwned::Mining(MiningOwned::SubmitSharesStandard(
                    share,
                )))?;
            self.seq += 1;
            if need_good {
                self.sent_good += 1;
            } else {
                self.sent_bad = true;
            }
            return Ok(true);
        }
        self.cursor = Some((job_id, start.saturating_add(BATCH)));
        Ok(true)
    }
}
