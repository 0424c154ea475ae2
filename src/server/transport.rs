//! JSON-RPC over standard input and output, framed by `Content-Length`
//! headers, as the Language Server Protocol sends it.
//!
//! `lsp-server`'s own stdio transport ends the connection at the first
//! malformed message. This one answers a request it cannot read with an
//! error response, logs anything else it cannot read, and reads on.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc;
use std::thread;

use lsp_server::{ErrorCode, Message, Notification, RequestId, Response};

/// The largest message read: a document of this size is refused.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The two ends of the connection, as the main thread holds them.
pub struct Stdio {
    /// Messages to write, in order.
    pub out: mpsc::Sender<Message>,
    /// Messages read; closes at end of input or after `exit`.
    pub input: mpsc::Receiver<Message>,
    /// Puts a message of the server's own among those read: how a
    /// background thread wakes the main one.
    pub wake: mpsc::Sender<Message>,
    pub writer: thread::JoinHandle<()>,
}

/// Starts the reader and writer threads.
pub fn stdio() -> Stdio {
    let (to_writer, from_main) = mpsc::channel::<Message>();
    let writer = thread::Builder::new()
        .name("querylint-lsp-writer".to_owned())
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for message in from_main {
                if message.write(&mut out).is_err() {
                    break;
                }
                let _ = out.flush();
            }
        })
        .expect("a thread can be started");
    let (to_main, from_reader) = mpsc::channel::<Message>();
    let wake = to_main.clone();
    let replies = to_writer.clone();
    thread::Builder::new()
        .name("querylint-lsp-reader".to_owned())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            read_loop(&mut input, &to_main, &replies);
        })
        .expect("a thread can be started");
    Stdio {
        out: to_writer,
        input: from_reader,
        wake,
        writer,
    }
}

/// Reads messages until an `exit` notification. The end of the input
/// counts as one, so a server whose client went away stops (with exit code
/// 1, unless it was shut down first).
pub fn read_loop(
    input: &mut impl BufRead,
    to_main: &mpsc::Sender<Message>,
    replies: &mpsc::Sender<Message>,
) {
    loop {
        let body = match read_body(input) {
            Ok(Some(body)) => body,
            Ok(None) => {
                let _ = to_main.send(Message::Notification(Notification::new(
                    "exit".to_owned(),
                    serde_json::Value::Null,
                )));
                return;
            }
            Err(problem) => {
                let _ = replies.send(log(&problem));
                continue;
            }
        };
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if to_main.send(message).is_err() || exit {
                    return;
                }
            }
            Err(e) => {
                let _ = replies.send(unreadable(&body, &e.to_string()));
            }
        }
    }
}

/// The reply to a message that is JSON but not a message the protocol
/// knows: an error response if it has an id, else a log line.
fn unreadable(body: &[u8], error: &str) -> Message {
    let id = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| match v.get("id")? {
            serde_json::Value::Number(n) => n.as_i64().map(|n| RequestId::from(n as i32)),
            serde_json::Value::String(s) => Some(RequestId::from(s.clone())),
            _ => None,
        });
    match id {
        Some(id) => Message::Response(Response::new_err(
            id,
            ErrorCode::InvalidRequest as i32,
            format!("querylint could not read this request: {error}"),
        )),
        None => log(&format!(
            "querylint skipped a message it could not read: {error}"
        )),
    }
}

/// A `window/logMessage` at error level.
pub fn log(message: &str) -> Message {
    Message::Notification(Notification::new(
        "window/logMessage".to_owned(),
        serde_json::json!({ "type": 1, "message": message }),
    ))
}

/// The body of the next message, `None` at end of input, or what was wrong
/// with its header (the reader then goes on with the next one).
fn read_body(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut length: Option<usize> = None;
    let mut line = String::new();
    let mut saw_header = false;
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) => {
                // Not UTF-8, or the input failed: skip to the next line.
                if e.kind() == std::io::ErrorKind::InvalidData {
                    return Err("a message header is not text".to_owned());
                }
                return Ok(None);
            }
        }
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = trimmed.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let Some(length) = length else {
        return Err("a message came without a valid Content-Length header".to_owned());
    };
    if length > MAX_MESSAGE {
        // Read past it, so the next message is found.
        let _ = std::io::copy(&mut input.take(length as u64), &mut std::io::sink());
        return Err(format!(
            "a message of {length} bytes is over the {MAX_MESSAGE}-byte limit and was skipped"
        ));
    }
    let mut body = vec![0; length];
    input
        .read_exact(&mut body)
        .map(|()| Some(body))
        .or(Ok(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_messages_get_an_answer_and_reading_goes_on() {
        let input = [
            frame("{not json"),
            "Content-Type: x\r\n\r\n".to_owned(),
            frame(r#"{"jsonrpc":"2.0","id":7,"params":{}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
            frame(r#"{"jsonrpc":"2.0","method":"never-read"}"#),
        ]
        .concat();
        let (to_main, from_reader) = mpsc::channel();
        let (replies, written) = mpsc::channel();
        read_loop(&mut input.as_bytes(), &to_main, &replies);
        let read: Vec<Message> = from_reader.try_iter().collect();
        assert_eq!(read.len(), 2, "{read:?}");
        assert!(matches!(&read[1], Message::Notification(n) if n.method == "exit"));
        let answers: Vec<Message> = written.try_iter().collect();
        assert_eq!(answers.len(), 3, "{answers:?}");
        assert!(
            matches!(&answers[2], Message::Response(r) if r.id == RequestId::from(7) && r.response_result.is_err())
        );
    }

    #[test]
    fn the_end_of_input_is_read_as_exit() {
        let input = frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        let (to_main, from_reader) = mpsc::channel();
        let (replies, _written) = mpsc::channel();
        read_loop(&mut input.as_bytes(), &to_main, &replies);
        let read: Vec<Message> = from_reader.try_iter().collect();
        assert_eq!(read.len(), 2, "{read:?}");
        assert!(matches!(&read[1], Message::Notification(n) if n.method == "exit"));
    }
}
