//! A tiny SMTP sink for the namespace tests: accepts every mail and keeps subject lines.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Mails received so far (their `Subject:` lines).
#[derive(Clone, Default)]
pub struct Inbox(pub Arc<Mutex<Vec<String>>>);

impl Inbox {
    pub fn subjects(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Serves SMTP on `listener` on a thread of its own.
pub fn serve(listener: TcpListener) -> Inbox {
    let inbox = Inbox::default();
    let ib = inbox.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut out) = conn else { continue };
            let ib = ib.clone();
            std::thread::spawn(move || {
                let Ok(inp) = out.try_clone() else { return };
                let mut inp = BufReader::new(inp);
                let _ = out.write_all(b"220 sink ESMTP\r\n");
                let mut line = String::new();
                let mut in_data = false;
                loop {
                    line.clear();
                    if inp.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let l = line.trim_end();
                    if in_data {
                        if l == "." {
                            in_data = false;
                            let _ = out.write_all(b"250 ok\r\n");
                        } else if let Some(s) = l.strip_prefix("Subject: ") {
                            ib.0.lock().unwrap().push(s.to_string());
                        }
                        continue;
                    }
                    let verb = l
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go\r\n"
                        }
                        "QUIT" => {
                            let _ = out.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = out.write_all(reply);
                }
            });
        }
    });
    inbox
}
