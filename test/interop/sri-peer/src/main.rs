//! sri-peer: loopback SV2 test peers (pool and miner) for sv2miner's interop tests, built from
//! SRI's published crates (noise_sv2, codec_sv2, parsers_sv2, mining_sv2, channels_sv2, ...).
//! Only the glue is ours: sockets, threads, arguments and JSON-lines output (sv2.md §3-§6).

mod args;
mod keys;
mod link;
mod miner;
mod out;
mod pool;
mod work;

const USAGE: &str = "usage:
  sri-peer pool  --authority-secret <hex|base58> [--listen 127.0.0.1:0] [--share-difficulty D]
                 [--nbits 0x1d00ffff] [--batch-size 1] [--shares-per-minute 6] [--cert-validity-sec 3600]
                 [--block-every N] [--job-every N] [--echo-flags]
  sri-peer miner --connect HOST:PORT --authority-pubkey <base58|hex> [--shares 3] [--bad-share]
                 [--user NAME] [--hashrate H/s] [--flags 0x1] [--timeout-sec 60]
  sri-peer pubkey --authority-secret <hex|base58>";

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match argv.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("", &argv[..]),
    };
    let result = match cmd {
        "pool" => pool::run(rest).map(|()| 0),
        "miner" => miner::run(rest),
        "pubkey" => args::Args::parse(rest, &["authority-secret"], &[])
            .and_then(|a| keys::parse_secret(a.required("authority-secret")?))
            .map(|s| {
                println!("{}", keys::encode_public(&keys::xonly_of(&s)));
                0
            }),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("sri-peer: {e}");
            std::process::exit(64);
        }
    }
}
