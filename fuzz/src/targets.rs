//! The three targets: the chat's line reader (against a reference model),
//! the chat's WebSocket reader and HTTP head answer (invariants), and the
//! HTTP server's request parser (invariance under read splitting, and
//! well-formed answers).

use std::io::{BufReader, Read};

use crate::chat::{self, web};
use crate::driver::Target;
use crate::http_routes::{self, Connection, Next};
use crate::mutate::Chunked;
use crate::rng::Rng;

/// The chat's line protocol: `chat::Lines` and `chat::check_nick`.
pub const CHAT_LINES: Target = Target {
    name: "chat_lines",
    seeds: chat_seeds,
    max_len: 16 * 1024,
    run: chat_lines,
};

/// The chat's browser side: the HTTP head answer and the WebSocket reader.
pub const WEBSOCKET: Target = Target {
    name: "websocket",
    seeds: websocket_seeds,
    max_len: 200 * 1024,
    run: websocket,
};

/// The HTTP server's `Connection::next_request`, `respond`, `bad_request`.
pub const HTTP: Target = Target {
    name: "http",
    seeds: http_seeds,
    max_len: 64 * 1024,
    run: http,
};

/// Turns the target's deliberate bug (examples/common/faults.rs) on or off.
#[cfg(feature = "test-faults")]
pub fn set_fault(target: &Target, on: bool) {
    let (chat_fault, http_fault) = match target.name {
        "chat_lines" => (Some(chat::faults::Fault::SilentBadUtf8), None),
        "websocket" => (Some(chat::faults::Fault::PanicOnProtocolError), None),
        _ => (None, Some(http_routes::faults::Fault::PanicOnHugeBody)),
    };
    chat::faults::set(chat_fault.filter(|_| on));
    http_routes::faults::set(http_fault.filter(|_| on));
}

fn chat_seeds() -> Vec<Vec<u8>> {
    [
        &b"ann\nhello\n/who\n/quit\n"[..],
        b"bob\r\nhi there\r\n\r\n/nope\r\n",
        b"\xff\xfe\n\xc3\x28\nok\n",
        b"caf\xc3\xa9\nline without end",
        b"/quit\n",
        b"",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect()
}

/// What `chat::Lines` must yield for `input` (the protocol in chat.rs's
/// docs, written out directly): per `\n`-ended line, one `\r` before the
/// `\n` dropped; a line (its `\r` included) of more than `MAX_LINE + 1`
/// bytes is refused as soon as it passes that, ended or not; else over
/// `MAX_LINE` is too long, not UTF-8 is refused; an unended short last
/// line is dropped.
fn chat_model(input: &[u8]) -> Vec<chat::LineResult> {
    let mut out = Vec::new();
    let mut pieces = input.split(|&b| b == b'\n').peekable();
    while let Some(piece) = pieces.next() {
        let ended = pieces.peek().is_some();
        if piece.len() > chat::MAX_LINE + 1 {
            out.push(Err(chat::TOO_LONG));
            continue;
        }
        if !ended {
            break;
        }
        let line = piece.strip_suffix(b"\r").unwrap_or(piece);
        out.push(if line.len() > chat::MAX_LINE {
            Err(chat::TOO_LONG)
        } else {
            String::from_utf8(line.to_vec()).map_err(|_| chat::BAD_UTF8)
        });
    }
    out
}

/// The nickname rules of chat.rs's docs, written out directly.
fn nick_model(nick: &str) -> bool {
    !nick.is_empty()
        && nick.len() <= chat::MAX_NICK
        && !nick.starts_with('/')
        && !nick.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn chat_lines(input: &[u8], split: u64) -> Result<(), String> {
    let capacity = *Rng::new(split).pick(&[1, 7, 64, 8192]);
    let mut lines = chat::Lines::new(BufReader::with_capacity(
        capacity,
        Chunked::new(input, split),
    ));
    let mut got = Vec::new();
    while let Some(line) = lines.next().map_err(|e| format!("read error {e}"))? {
        got.push(line);
        if got.len() > input.len() + 1 {
            return Err("more lines than bytes".into());
        }
    }
    let want = chat_model(input);
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        return Err(format!(
            "line {i}: the reader gave {:?}, the model {:?}",
            got.get(i),
            want.get(i)
        ));
    }
    for line in got.iter().flatten() {
        if chat::check_nick(line).is_ok() != nick_model(line) {
            return Err(format!("check_nick({line:?}) disagrees with the rules"));
        }
    }
    Ok(())
}

/// A masked client frame (the mask is fixed; it need not be random here).
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(fin) << 7 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=65535 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mask = [0x12, 0x34, 0x56, 0x78];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

fn websocket_seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            .to_vec(),
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        b"GET /nope?x=1 HTTP/1.0\r\n\r\n".to_vec(),
    ];
    let mut frames = Vec::new();
    frames.extend(frame(true, 1, b"ann"));
    frames.extend(frame(true, 9, b"ping"));
    frames.extend(frame(false, 1, b"hel"));
    frames.extend(frame(true, 0, b"lo"));
    frames.extend(frame(true, 1, &[b'x'; 1100]));
    frames.extend(frame(true, 8, b"\x03\xe8bye"));
    seeds.push(frames);
    seeds.push(frame(true, 2, b"binary"));
    seeds.push([frame(false, 9, b"fragmented ping"), frame(true, 1, b"a")].concat());
    seeds.push(frame(true, 1, &[b'y'; 70_000]));
    seeds.push(b"\x81\x05hello".to_vec()); // unmasked
    seeds.push(b"\x83\x80\0\0\0\0".to_vec()); // reserved opcode
    seeds.push(b"\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff\0\0\0\0".to_vec()); // 2^63 bytes
    seeds
}

fn websocket(input: &[u8], split: u64) -> Result<(), String> {
    if split.is_multiple_of(4) {
        return websocket_model(split);
    }
    if input.starts_with(b"GET ") {
        // The head answer: a function of the bytes; an upgrade needs a key.
        let answer = web::answer(input);
        if let web::Answer::Upgrade(accept) = &answer {
            let key = find_header(input, "sec-websocket-key")
                .ok_or("an upgrade without a Sec-WebSocket-Key header")?;
            let want = tungstenite::handshake::derive_accept_key(key.as_bytes());
            if *accept != want {
                return Err(format!("accept {accept:?} is not derived from key {key:?}"));
            }
        }
        if web::answer(input) != answer {
            return Err("the head answer is not a function of the head".into());
        }
        return Ok(());
    }
    let mut socket = web::Upgraded::new(Chunked::new(input, split));
    for _ in 0..input.len() / 2 + 2 {
        match socket.next() {
            Ok(Some(Ok(text))) if text.len() > chat::MAX_LINE => {
                return Err(format!("a line of {} bytes got through", text.len()));
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return Ok(()),
        }
    }
    Err("the reader yielded more messages than the input could hold".into())
}

/// A masked client frame with a random mask.
fn masked(rng: &mut Rng, first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = frame(true, 0, payload);
    out[0] = first;
    let start = out.len() - payload.len();
    let mask = [rng.byte(), rng.byte(), rng.byte(), rng.byte()];
    out[start - 4..start].copy_from_slice(&mask);
    for (i, b) in out[start..].iter_mut().enumerate() {
        *b = payload[i] ^ mask[i % 4];
    }
    out
}

/// How a message of [`websocket_model`] is broken, and the close code
/// that must answer it.
#[derive(Clone, Copy)]
enum Break {
    ReservedBit,
    ReservedOpcode,
    BadUtf8,
}

/// The structure-aware half of the target: random *valid* client
/// traffic (text messages of 0 to 1100 bytes of mixed-width UTF-8, split
/// into fragments at random bytes, pings between fragments, random
/// masks, then a close), sometimes with one message broken in a known
/// way. The reader must give exactly the model's lines (`! line too
/// long` past 1024 bytes), then end with the model's close code.
fn websocket_model(seed: u64) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let messages = 1 + rng.below(6);
    let broken = rng.one_in(2).then(|| rng.below(messages));
    let mut bytes = Vec::new();
    let mut want: Vec<chat::LineResult> = Vec::new();
    let mut want_code = None;
    for m in 0..messages {
        let mut text = String::new();
        let target = rng.size(1100);
        while text.len() < target {
            text.push(*rng.pick(&['a', 'Z', ' ', '/', 'é', '€', '😀', '\u{7f}']));
        }
        let mut payload = text.clone().into_bytes();
        let how = (broken == Some(m))
            .then(|| *rng.pick(&[Break::ReservedBit, Break::ReservedOpcode, Break::BadUtf8]));
        if let Some(how) = how {
            if let Break::BadUtf8 = how {
                payload.insert(rng.below(payload.len() + 1), 0xff);
            }
            want_code = Some(match how {
                Break::BadUtf8 => 1007,
                _ => 1002,
            });
        }
        // Fragments: cut points anywhere, even inside a character.
        let pieces = 1 + rng.below(4);
        let mut cuts: Vec<usize> = (1..pieces).map(|_| rng.below(payload.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.insert(0, 0);
        cuts.push(payload.len());
        for (i, w) in cuts.windows(2).enumerate() {
            let last = i == cuts.len() - 2;
            let mut first = (u8::from(last) << 7) | u8::from(i == 0);
            if i == 0 {
                match how {
                    Some(Break::ReservedBit) => first |= 0x40,
                    Some(Break::ReservedOpcode) => first = (first & 0xf0) | 0x3,
                    _ => {}
                }
            }
            bytes.extend(masked(&mut rng, first, &payload[w[0]..w[1]]));
            if rng.one_in(3) {
                let ping: Vec<u8> = (0..rng.size(125)).map(|_| rng.byte()).collect();
                bytes.extend(masked(&mut rng, 0x89, &ping));
            }
        }
        if want_code.is_some() {
            break;
        }
        want.push(if text.len() > chat::MAX_LINE {
            Err(chat::TOO_LONG)
        } else {
            Ok(text)
        });
    }
    bytes.extend(masked(&mut rng, 0x88, b"\x03\xe8"));
    let mut socket = web::Upgraded::new(Chunked::new(&bytes, rng.next_u64()));
    let mut got = Vec::new();
    loop {
        match socket.next() {
            Ok(Some(line)) => got.push(line),
            Ok(None) => break,
            Err(e) => return Err(format!("read error {e} after {got:?}")),
        }
        if got.len() > messages {
            return Err(format!("more lines than messages: {got:?}"));
        }
    }
    if got != want {
        return Err(format!("the reader gave {got:?}, the model {want:?}"));
    }
    let code = socket.closing.borrow().as_ref().map(|f| u16::from(f.code));
    if code != want_code {
        return Err(format!("close code {code:?}, the model {want_code:?}"));
    }
    Ok(())
}

/// The first value of header `name` in a raw head, by a plain scan.
fn find_header(head: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    // httparse takes a bare `\n` as a line end too, and trims values.
    text.split('\n').skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        let v = v.trim_matches([' ', '\t', '\r']);
        n.eq_ignore_ascii_case(name).then(|| v.to_string())
    })
}

fn http_seeds() -> Vec<Vec<u8>> {
    [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\n\r\n"[..],
        b"POST /json HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /delay/3 HTTP/1.1\r\n\r\n",
        b"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /x HTTP/1.1\r\nConnection: close\r\n\r\n",
        b"GET /delay/10000?q=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect()
}

/// What the server would do with `input` arriving in reads of the sizes
/// `next_len` gives: each request's route and flags, or the refusal, up to
/// the first one that closes the connection.
fn http_outcomes(input: &[u8], mut next_len: impl FnMut() -> usize) -> Result<Vec<String>, String> {
    let mut conn = Connection::default();
    let mut rest = input;
    let mut outcomes = Vec::new();
    loop {
        loop {
            match conn.next_request() {
                Next::Request(request) => {
                    let mut out = Vec::new();
                    http_routes::respond(&request, &mut out);
                    check_response(&out)?;
                    outcomes.push(format!("{request:?}"));
                    if !request.keep_alive {
                        return Ok(outcomes);
                    }
                }
                Next::NeedMore => break,
                Next::Bad(why) => {
                    let mut out = Vec::new();
                    http_routes::bad_request(why, &mut out);
                    check_response(&out)?;
                    outcomes.push(format!("400 {why}"));
                    return Ok(outcomes);
                }
            }
        }
        if rest.is_empty() {
            return Ok(outcomes);
        }
        let spare = conn.spare();
        if spare.is_empty() {
            return Err("the buffer is full and the parser wants more".into());
        }
        let n = next_len().min(spare.len()).min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        conn.filled(n);
        rest = &rest[n..];
    }
}

/// An answer must be one well-formed HTTP/1.1 response whose body is
/// exactly its `Content-Length`.
fn check_response(out: &[u8]) -> Result<(), String> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head)) = response.parse(out) else {
        return Err(format!(
            "malformed answer {:?}",
            String::from_utf8_lossy(out)
        ));
    };
    let length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
        .ok_or("an answer without a Content-Length")?;
    if head + length != out.len() {
        return Err(format!(
            "Content-Length {length}, body {}",
            out.len() - head
        ));
    }
    Ok(())
}

fn http(input: &[u8], split: u64) -> Result<(), String> {
    let whole = http_outcomes(input, || usize::MAX)?;
    let mut reads = Chunked::new(input, split);
    let split_up = http_outcomes(input, || reads.next_len())?;
    if whole != split_up {
        return Err(format!(
            "read splitting changed the answers: {whole:?} whole, {split_up:?} split"
        ));
    }
    // Drain a Chunked fully so it is exercised as a reader too.
    let mut sink = Vec::new();
    let _ = Chunked::new(input, split).read_to_end(&mut sink);
    if sink != input {
        return Err("Chunked lost bytes".into());
    }
    Ok(())
}
