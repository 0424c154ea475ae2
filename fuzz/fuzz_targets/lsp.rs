//! The language server's message handling: framing, JSON-RPC, and every
//! request and notification it knows, with any parameters.
//!
//! The input is cut at each `\0\0` into message bodies. A body that starts
//! with `raw:` goes to the server as it is, framing included; any other
//! body is framed with a right `Content-Length`. The session starts with
//! `initialize` and ends with `shutdown` and `exit`, so each run ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lsp_server::Message;

fn frame(body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
}

/// The input cut at each `\0\0`.
fn bodies(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i + 1 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 {
            out.push(&data[start..i]);
            i += 2;
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&data[start..]);
    out
}

fuzz_target!(|data: &[u8]| {
    let mut input = Vec::new();
    frame(
        br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}}"#,
        &mut input,
    );
    for body in bodies(data) {
        match body.strip_prefix(b"raw:") {
            Some(raw) => input.extend_from_slice(raw),
            None => frame(body, &mut input),
        }
    }
    // A raw message may have left a header open: end it before the last two.
    input.extend_from_slice(b"\r\n\r\n");
    frame(
        br#"{"jsonrpc":"2.0","id":"last","method":"shutdown"}"#,
        &mut input,
    );
    frame(br#"{"jsonrpc":"2.0","method":"exit"}"#, &mut input);
    let (code, written) = querylint::server::run_over(std::io::Cursor::new(input));
    assert!(code == 0 || code == 1);
    // `initialize` is answered, whatever follows. (A log line about a
    // malformed message that follows may come before the answer.)
    assert!(written.iter().any(
        |m| matches!(m, Message::Response(r) if r.id == 0.into() && r.response_result.is_ok())
    ));
});
