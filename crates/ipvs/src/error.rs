//! What went wrong with an IPVS request: the command, the object it named, and the cause.

use std::fmt;
use std::io;

/// The cause of an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The kernel refused the request with this errno (positive, e.g. 17 for EEXIST).
    Kernel(i32),
    /// No generic netlink family "IPVS" (no IPVS in this kernel, or `ip_vs` not loadable).
    Unavailable,
    /// The socket failed (send, receive, setup); `timeout` when no answer came in time.
    Io {
        kind: io::ErrorKind,
        errno: Option<i32>,
        message: String,
    },
    /// The kernel's answer could not be read.
    Protocol(String),
}

/// An IPVS request that failed. Its `Display` names the command and the object, e.g.
/// `IPVS NEW_DEST TCP 10.0.0.1:80 -> 10.0.0.2:80: File exists (errno 17)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    command: &'static str,
    object: String,
    kind: ErrorKind,
}

impl Error {
    /// An error as the client makes it (public for fakes of the kernel in tests).
    pub fn new(command: &'static str, object: impl Into<String>, kind: ErrorKind) -> Error {
        Error {
            command,
            object: object.into(),
            kind,
        }
    }

    pub(crate) fn io(command: &'static str, object: impl Into<String>, e: &io::Error) -> Error {
        Error::new(
            command,
            object,
            ErrorKind::Io {
                kind: e.kind(),
                errno: e.raw_os_error(),
                message: e.to_string(),
            },
        )
    }

    /// The IPVS command, as the kernel names it without `IPVS_CMD_`: `NEW_DEST`, `GET_INFO`, ...
    pub fn command(&self) -> &'static str {
        self.command
    }

    /// The object the request named (`TCP 10.0.0.1:80`, `FWM 5 IPv6`, `TCP 10.0.0.1:80 ->
    /// 10.0.0.2:80`, `master sync daemon 1 on eth0`), or "" for table-wide commands.
    pub fn object(&self) -> &str {
        &self.object
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The kernel's errno, when the kernel answered with an error.
    pub fn errno(&self) -> Option<i32> {
        match self.kind {
            ErrorKind::Kernel(e) => Some(e),
            _ => None,
        }
    }

    /// EEXIST: the service, destination or daemon already exists.
    pub fn is_exists(&self) -> bool {
        self.errno() == Some(libc::EEXIST)
    }

    /// ESRCH: no such service (also: DEL_DAEMON of a daemon not running).
    pub fn is_no_service(&self) -> bool {
        self.errno() == Some(libc::ESRCH)
    }

    /// ENOENT: no such destination (also: unknown scheduler or persistence engine on
    /// NEW_SERVICE/SET_SERVICE).
    pub fn is_no_dest(&self) -> bool {
        self.errno() == Some(libc::ENOENT)
    }

    /// EPERM: the process lacks CAP_NET_ADMIN (needed even to read).
    pub fn is_permission(&self) -> bool {
        self.errno() == Some(libc::EPERM)
    }

    /// IPVS is not available in this kernel.
    pub fn is_unavailable(&self) -> bool {
        self.kind == ErrorKind::Unavailable
    }

    /// No answer came within the receive timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Io {
                kind: io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut,
                ..
            }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IPVS {}", self.command)?;
        if !self.object.is_empty() {
            write!(f, " {}", self.object)?;
        }
        match &self.kind {
            ErrorKind::Kernel(e) => {
                let text = nix::errno::Errno::from_raw(*e).desc();
                write!(f, ": {text} (errno {e})")?;
                if *e == libc::EPERM {
                    write!(f, ": CAP_NET_ADMIN is needed")?;
                }
                Ok(())
            }
            ErrorKind::Unavailable => write!(
                f,
                ": IPVS is not available in this kernel (no generic netlink family \"IPVS\", \
                 even after modprobe ip_vs)"
            ),
            ErrorKind::Io { kind, message, .. } => {
                if matches!(kind, io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) {
                    write!(f, ": no answer from the kernel in time ({message})")
                } else {
                    write!(f, ": {message}")
                }
            }
            ErrorKind::Protocol(m) => write!(f, ": unreadable answer: {m}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn display_names_command_object_and_errno() {
        let e = Error::new(
            "NEW_DEST",
            "TCP 10.0.0.1:80 -> 10.0.0.2:80",
            ErrorKind::Kernel(17),
        );
        assert_eq!(
            e.to_string(),
            "IPVS NEW_DEST TCP 10.0.0.1:80 -> 10.0.0.2:80: File exists (errno 17)"
        );
        assert!(e.is_exists() && !e.is_no_dest());
        let e = Error::new("FLUSH", "", ErrorKind::Kernel(1));
        assert!(e.is_permission());
        assert!(e.to_string().contains("CAP_NET_ADMIN"), "{e}");
        let e = Error::new("GETFAMILY", "IPVS", ErrorKind::Unavailable);
        assert!(e.is_unavailable());
        assert!(
            e.to_string()
                .contains("IPVS is not available in this kernel")
        );
        let srch = Error::new("SET_SERVICE", "FWM 5 IPv6", ErrorKind::Kernel(libc::ESRCH));
        assert!(srch.is_no_service() && !srch.is_no_dest());
        let noent = Error::new("SET_DEST", "x", ErrorKind::Kernel(libc::ENOENT));
        assert!(noent.is_no_dest() && !noent.is_no_service());
    }
}
