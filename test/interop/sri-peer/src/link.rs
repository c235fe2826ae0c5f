//! Noise-encrypted SV2 link over a blocking TcpStream, built only from SRI's codec_sv2 state
//! machine (Handshake -> Transport -> split) and parsers_sv2 (AnyMessage <-> frames).
//! Spec: sv2.md §2.2-§3.4 (handshake messages unframed, then header + payload ciphertexts).

use codec_sv2::{Decoded, Decrypted, Handshake, InitiatorSent, NoiseDecoder, NoiseEncoder};
use codec_sv2::{MessageFrame, TransportDecryptState, TransportEncryptState};
use noise_sv2::{Initiator, Responder};
use parsers_sv2::{AnyMessage, AnyMessageOwned};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

pub struct Sender {
    stream: TcpStream,
    encoder: NoiseEncoder,
    state: TransportEncryptState,
}

pub struct Receiver {
    stream: TcpStream,
    decoder: NoiseDecoder,
    state: Option<TransportDecryptState>,
}

/// What one read produced.
pub enum Incoming {
    Message(AnyMessageOwned),
    /// A frame SRI's parser does not know (ext, msg_type, parser error).
    Unknown(u16, u8, String),
    /// The peer closed the TCP connection between frames.
    Closed,
}

impl Sender {
    pub fn send(&mut self, msg: AnyMessageOwned) -> Result<(), String> {
        let frame: MessageFrame<AnyMessageOwned> =
            msg.try_into().map_err(|e| format!("frame: {e:?}"))?;
        let bytes = self
            .encoder
            .encode_transport(frame, &mut self.state)
            .map_err(|e| format!("encrypt: {e}"))?;
        self.stream
            .write_all(bytes.as_ref())
            .map_err(|e| format!("write: {e}"))
    }

    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

impl Receiver {
    pub fn recv(&mut self) -> Result<Incoming, String> {
        loop {
            let state = self.state.take().ok_or("receiver failed earlier")?;
            match self
                .decoder
                .next_transport_frame(state)
                .map_err(|e| format!("decrypt: {e}"))?
            {
                Decrypted::Frame(mut frame, s) => {
                    self.state = Some(s);
                    let header = frame.header();
                    let (ext, ty) = (header.ext_type(), header.msg_type());
                    let parsed: Result<AnyMessage<'_>, _> = (header, frame.payload()).try_into();
                    return Ok(match parsed {
                        Ok(m) => Incoming::Message(m.into_owned()),
                        Err(e) => Incoming::Unknown(ext, ty, format!("{e:?}")),
                    });
                }
                Decrypted::Incomplete(_, s) => {
                    self.state = Some(s);
                    match fill(&mut self.stream, self.decoder.writable())? {
                        Fill::Done => {}
                        Fill::Eof => return Ok(Incoming::Closed),
                    }
                }
            }
        }
    }
}

enum Fill {
    Done,
    Eof,
}

/// read_exact, but a clean EOF before the first byte is "peer closed", not an error.
fn fill(stream: &mut TcpStream, buf: &mut [u8]) -> Result<Fill, String> {
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(Fill::Eof),
            Ok(0) => return Err(format!("EOF after {got} of {} bytes", buf.len())),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if got == 0 && e.kind() == ErrorKind::ConnectionReset => return Ok(Fill::Eof),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    Ok(Fill::Done)
}

fn split(
    stream: TcpStream,
    enc: TransportEncryptState,
    dec: TransportDecryptState,
    encoder: NoiseEncoder,
    decoder: NoiseDecoder,
) -> Result<(Sender, Receiver), String> {
    let read_half = stream.try_clone().map_err(|e| format!("clone: {e}"))?;
    Ok((
        Sender {
            stream,
            encoder,
            state: enc,
        },
        Receiver {
            stream: read_half,
            decoder,
            state: Some(dec),
        },
    ))
}

/// Responder side: act 1 in (64 bytes), act 2 out (234 bytes), keys split.
pub fn accept(
    mut stream: TcpStream,
    responder: Box<Responder>,
) -> Result<(Sender, Receiver), String> {
    let mut decoder = NoiseDecoder::new();
    let mut encoder = NoiseEncoder::new();
    let act1 = loop {
        match decoder
            .next_handshake_frame::<Responder>()
            .map_err(|e| format!("act 1: {e}"))?
        {
            Decoded::Frame(m) => break m,
            Decoded::Incomplete(_) => match fill(&mut stream, decoder.writable())? {
                Fill::Done => {}
                Fill::Eof => return Err("peer closed before act 1".into()),
            },
        }
    };
    let act1: [u8; 64] = act1
        .payload()
        .try_into()
        .map_err(|_| "act 1: wrong size".to_string())?;
    let (act2, transport) = Handshake::responder(responder)
        .step_1(act1)
        .map_err(|e| format!("act 2: {e}"))?;
    let bytes = encoder.encode_handshake(act2);
    stream
        .write_all(bytes.as_ref())
        .map_err(|e| format!("write act 2: {e}"))?;
    let (enc, dec) = transport.split();
    split(stream, enc, dec, encoder, decoder)
}

/// Initiator side: act 1 out, act 2 in; step_2 verifies the certificate against the authority
/// key the Initiator was built with (SRI's check, ±10 s leeway).
pub fn connect(
    mut stream: TcpStream,
    initiator: Box<Initiator>,
) -> Result<(Sender, Receiver), String> {
    let mut decoder = NoiseDecoder::new();
    let mut encoder = NoiseEncoder::new();
    let (act1, sent) = Handshake::initiator(initiator)
        .step_0()
        .map_err(|e| format!("act 1: {e}"))?;
    let bytes = encoder.encode_handshake(act1);
    stream
        .write_all(bytes.as_ref())
        .map_err(|e| format!("write act 1: {e}"))?;
    let act2 = loop {
        match decoder
            .next_handshake_frame::<InitiatorSent>()
            .map_err(|e| format!("act 2: {e}"))?
        {
            Decoded::Frame(m) => break m,
            Decoded::Incomplete(_) => match fill(&mut stream, decoder.writable())? {
                Fill::Done => {}
                Fill::Eof => return Err("peer closed before act 2".into()),
            },
        }
    };
    let act2: [u8; 234] = act2
        .payload()
        .try_into()
        .map_err(|_| "act 2: wrong size".to_string())?;
    let transport = sent
        .step_2(act2)
        .map_err(|e| format!("act 2 rejected: {e}"))?;
    let (enc, dec) = transport.split();
    split(stream, enc, dec, encoder, decoder)
}
