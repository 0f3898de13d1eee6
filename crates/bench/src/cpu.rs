//! Where the CPU goes during a measurement: the processes of PostgreSQL, of the broker and
//! of inlet, read from /proc before and after (Linux only; elsewhere nothing is reported).

use std::time::Instant;

/// Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).
const TICKS: f64 = 100.0;

/// CPU seconds consumed so far.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    at: Instant,
    postgres: f64,
    broker: f64,
    inlet: f64,
}

/// Cores busy on average between two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub postgres: f64,
    pub broker: f64,
    pub inlet: f64,
}

impl Sample {
    /// Every `postgres` process (with the CPU of the backends that have exited, which
    /// the postmaster has collected), every Kafka broker (a `java` process running
    /// `kafka.Kafka`), and process `inlet`.
    pub fn take(inlet: u32) -> Sample {
        let mut sample = Sample {
            at: Instant::now(),
            postgres: 0.0,
            broker: 0.0,
            inlet: 0.0,
        };
        let processes: Vec<Stat> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(Stat::read)
            .collect();
        for p in &processes {
            let parent_is_postgres = processes
                .iter()
                .any(|q| q.pid == p.ppid && q.comm == "postgres");
            match p.comm.as_str() {
                "postgres" => {
                    sample.postgres += p.own;
                    if !parent_is_postgres {
                        sample.postgres += p.children;
                    }
                }
                "java" if is_kafka_broker(p.pid) => sample.broker += p.own,
                _ => {}
            }
            if p.pid == inlet {
                sample.inlet = p.own;
            }
        }
        sample
    }

    /// Seconds from `earlier` to `self`.
    pub fn seconds_since(&self, earlier: &Sample) -> f64 {
        (self.at - earlier.at).as_secs_f64()
    }

    /// Seconds from `earlier` to `self`.
    pub fn seconds_since_instant(&self, earlier: Instant) -> f64 {
        (self.at - earlier).as_secs_f64()
    }

    /// The cores used from `self` to `later`.
    pub fn until(&self, later: &Sample) -> Usage {
        let seconds = (later.at - self.at).as_secs_f64().max(1e-9);
        Usage {
            postgres: (later.postgres - self.postgres) / seconds,
            broker: (later.broker - self.broker) / seconds,
            inlet: (later.inlet - self.inlet) / seconds,
        }
    }
}

/// What /proc/PID/stat says of a process.
struct Stat {
    pid: u32,
    ppid: u32,
    comm: String,
    /// Its own user + system time, seconds.
    own: f64,
    /// That of its children it has waited for, seconds.
    children: f64,
}

/// Whether process `pid`'s command line runs Kafka's broker main class.
fn is_kafka_broker(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| cmdline.split(|&b| b == 0).any(|arg| arg == b"kafka.Kafka"))
}

impl Stat {
    fn read(pid: u32) -> Option<Stat> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        let comm = text.get(open + 1..close)?.to_owned();
        let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
        // After the command: state, ppid, …; utime, stime, cutime, cstime are fields 14-17
        // of the whole line, 11-14 here.
        let number = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        Some(Stat {
            pid,
            ppid: fields.get(1)?.parse().ok()?,
            comm,
            own: (number(11)? + number(12)?) / TICKS,
            children: (number(13)? + number(14)?) / TICKS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_found_and_its_cpu_counted() {
        let me = std::process::id();
        assert!(
            Stat::read(me).is_some(),
            "this process is not found in /proc"
        );
        let before = Sample::take(me);
        // Work until the kernel has counted CPU time to this process (whatever share of a
        // core the machine gives it), for at most 10^10 steps: a count that never moves fails.
        let mut x = 0u64;
        let mut rounds = 0;
        while Sample::take(me).inlet <= before.inlet && rounds < 10_000 {
            for _ in 0..1_000_000 {
                x = x.wrapping_mul(31).wrapping_add(7);
            }
            rounds += 1;
        }
        std::hint::black_box(x);
        let usage = before.until(&Sample::take(me));
        assert!(
            usage.inlet > 0.0,
            "no CPU counted after {rounds} rounds: {usage:?}"
        );
    }
}
