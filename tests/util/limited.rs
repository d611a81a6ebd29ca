//! Running a crash-or-hang scenario of `test_child` in a child process, with a generous wall-clock kill as the harness's limit (never
//! as a timed assertion), and reading back what the child reported.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a limited child ended.
#[derive(Debug)]
pub struct Ended {
    /// The exit code, `None` if a signal ended it.
    pub code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ended {
    /// The lines the child printed, in order.
    pub fn reports(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts a clean exit and returns the reports.
    pub fn expect_success(&self) -> Vec<&str> {
        assert_eq!(self.code, Some(0), "child failed: {self:#?}");
        self.reports()
    }
}

/// Runs `scenario` of the `test_child` binary (see [`super::process`]),
/// killing it if it still runs after a minute: the old behaviour of some
/// scenarios is to hang or spin.
pub fn run_limited(scenario: &str) -> Ended {
    run_limited_with(scenario, |_| {})
}

/// [`run_limited`], letting `setup` adjust the command (environment,
/// resource limits) first.
pub fn run_limited_with(scenario: &str, setup: impl FnOnce(&mut Command)) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    let mut command = super::process::scenario(scenario);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    setup(&mut command);
    let mut child = command.spawn().expect("spawn child");
    let limit = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll child").is_none() {
        if Instant::now() > limit {
            child.kill().expect("kill child");
            let out = child.wait_with_output().expect("child output");
            panic!(
                "scenario {scenario} still running after 60 s (a hang or a spin); stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("child output");
    Ended {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
