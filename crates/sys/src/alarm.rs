//! The VRRP loop's one wake-up: a timerfd on CLOCK_MONOTONIC armed at an absolute deadline.
//! tokio's timers step in whole milliseconds and round up, which made takeovers 1-2 ms late.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

use crate::{Result, errno, io};

/// Now on CLOCK_MONOTONIC (the clock of [`std::time::Instant`] on Linux), from its zero.
pub fn monotonic() -> Duration {
    match nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC) {
        Ok(ts) => Duration::from(ts),
        // CLOCK_MONOTONIC always exists on Linux; fall back to the std clock's idea of it.
        Err(_) => Duration::ZERO,
    }
}

struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// A one-shot alarm at an absolute CLOCK_MONOTONIC time. Re-arming at the time already armed
/// costs nothing, so a loop may ask for its next deadline on every turn.
pub struct Alarm {
    fd: AsyncFd<Fd>,
    armed: Option<Duration>,
}

impl Alarm {
    /// Needs a tokio runtime with I/O enabled.
    pub fn new() -> Result<Alarm> {
        let t = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .map_err(errno("timerfd_create"))?;
        // The AsyncFd owns the timerfd for its whole life, so the I/O-safety hole behind the
        // deprecation (a borrowed fd closed underneath) cannot happen here.
        #[allow(deprecated)]
        let fd = AsyncFd::new(Fd(t)).map_err(io("registering the timerfd"))?;
        Ok(Alarm { fd, armed: None })
    }

    /// Waits until CLOCK_MONOTONIC reaches `at` (at once if it has). Cancel-safe: dropping the
    /// future leaves the alarm armed for the next call with the same time.
    pub async fn wait_until(&mut self, at: Duration) -> Result<()> {
        self.arm(at)?;
        self.fired().await
    }

    /// Like [`Alarm::wait_until`], but an alarm already armed for an earlier time is kept, so
    /// this may return before `at`: for a loop that checks its deadlines on every wake-up and
    /// whose deadline moves later with nearly every packet (a backup's), which would otherwise
    /// pay a timerfd_settime per packet.
    pub async fn wake_by(&mut self, at: Duration) -> Result<()> {
        match self.armed {
            Some(armed) if armed <= at => {}
            _ => self.arm(at)?,
        }
        self.fired().await
    }

    fn arm(&mut self, at: Duration) -> Result<()> {
        if self.armed != Some(at) {
            // A zero it_value would disarm: the earliest time is 1 ns.
            let at = at.max(Duration::from_nanos(1));
            self.fd
                .get_ref()
                .0
                .set(
                    Expiration::OneShot(TimeSpec::from_duration(at)),
                    TimerSetTimeFlags::TFD_TIMER_ABSTIME,
                )
                .map_err(errno("timerfd_settime"))?;
            self.armed = Some(at);
        }
        Ok(())
    }

    async fn fired(&mut self) -> Result<()> {
        loop {
            let mut guard = self
                .fd
                .readable()
                .await
                .map_err(io("waiting on the timerfd"))?;
            let mut count = [0u8; 8];
            match guard.try_io(|fd| {
                nix::unistd::read(fd.get_ref().0.as_fd(), &mut count).map_err(std::io::Error::from)
            }) {
                Ok(Ok(_)) => {
                    self.armed = None;
                    return Ok(());
                }
                Ok(Err(e)) => return Err(io("reading the timerfd")(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_at_the_deadline_and_at_once_for_the_past() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut a = Alarm::new().unwrap();
            let start = monotonic();
            a.wait_until(start + Duration::from_millis(20))
                .await
                .unwrap();
            assert!(monotonic() >= start + Duration::from_millis(20));
            // the past: immediate
            a.wait_until(start).await.unwrap();
            // a cancelled wait leaves the alarm armed; the next wait for the same time still fires
            let at = monotonic() + Duration::from_millis(10);
            let _ = tokio::time::timeout(Duration::from_millis(1), a.wait_until(at)).await;
            a.wait_until(at).await.unwrap();
            assert!(monotonic() >= at);
            // wake_by keeps an earlier alarm: it returns at the earlier time, then re-arms
            let early = monotonic() + Duration::from_millis(5);
            let late = early + Duration::from_millis(50);
            let _ = tokio::time::timeout(Duration::from_millis(1), a.wake_by(early)).await;
            a.wake_by(late).await.unwrap();
            let woke = monotonic();
            assert!(woke >= early && woke < late, "{woke:?} {early:?} {late:?}");
            a.wake_by(late).await.unwrap();
            assert!(monotonic() >= late);
        });
    }
}
