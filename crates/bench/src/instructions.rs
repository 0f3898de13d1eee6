//! Instructions per record of the write path, counted by valgrind's callgrind: the same
//! figure whatever else the machine does, unlike a rate. This program runs itself under
//! callgrind in its replay-only mode (`--replay-only`), once with the first `small` records
//! of a record file and once with the first `large`; the difference of the two counts over
//! the difference of the records is the cost of one record, start-up left out.

use std::path::Path;

use anyhow::{Context as _, bail};
use inlet_engine::{RecordFileReader, RecordFileWriter};

use super::measure::Kind;

/// The replays whose instructions are counted: append, upsert and 10% dead letters.
pub const KINDS: [Kind; 3] = [Kind::ReplayAppend, Kind::ReplayUpsert, Kind::ReplayPoison];

/// The first `n` records of the record file `from`, written to `to`; how many there were
/// (fewer when the file holds fewer).
pub fn head(from: &Path, to: &Path, n: u64) -> anyhow::Result<u64> {
    let mut reader = RecordFileReader::new(std::io::BufReader::new(
        std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?,
    ))?;
    let mut writer = RecordFileWriter::new(std::io::BufWriter::new(
        std::fs::File::create(to).with_context(|| format!("creating {}", to.display()))?,
    ))?;
    let mut written = 0;
    while written < n {
        let Some(record) = reader.next_record()? else {
            break;
        };
        writer.write(&record)?;
        written += 1;
    }
    writer.finish()?;
    Ok(written)
}

/// One replay-only run of this program under callgrind: the instructions it executed
/// (callgrind's `summary`), all threads together.
pub async fn count(
    config: &Path,
    topic: &str,
    records: &Path,
    n: u64,
    out: &Path,
) -> anyhow::Result<u64> {
    let exe = std::env::current_exe().context("finding this program")?;
    let status = tokio::process::Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--quiet")
        .arg(&exe)
        .arg("--replay-only")
        .arg(config)
        .args(["--replay-topic", topic])
        .arg("--replay-file")
        .arg(records)
        .args(["--count", &n.to_string()])
        .status()
        .await
        .context("running valgrind (apt-get install valgrind; bench/run installs it)")?;
    if !status.success() {
        bail!("the replay under callgrind ended with {status}");
    }
    summary(out)
}

/// The `summary:` line of a callgrind output file: the events (instructions) counted.
fn summary(file: &Path) -> anyhow::Result<u64> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("{} has no summary line", file.display()))
}

/// Instructions per record from two counts.
pub fn per_record(small: (u64, u64), large: (u64, u64)) -> anyhow::Result<f64> {
    let ((n1, i1), (n2, i2)) = (small, large);
    if n2 <= n1 || i2 < i1 {
        bail!("the counts do not grow with the records: {n1} records {i1}, {n2} records {i2}");
    }
    Ok((i2 - i1) as f64 / (n2 - n1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_of_a_record_leaves_start_up_out() {
        assert_eq!(
            per_record(
                (2_000, 1_000_000 + 2_000 * 500),
                (20_000, 1_000_000 + 20_000 * 500)
            )
            .unwrap(),
            500.0
        );
        assert!(per_record((2_000, 10), (2_000, 10)).is_err());
    }

    #[test]
    fn the_summary_line_is_read() {
        let file = std::env::temp_dir().join(format!("callgrind-{}.out", std::process::id()));
        std::fs::write(&file, "version: 1\nevents: Ir\nsummary: 123456\n").unwrap();
        assert_eq!(summary(&file).unwrap(), 123_456);
        std::fs::remove_file(&file).unwrap();
    }
}
