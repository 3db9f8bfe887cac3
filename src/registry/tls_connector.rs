//! TLS connections to a registry whose certificate directory adds CAs.
//!
//! Registries are often run with a self-signed certificate made by the
//! recipe in Docker's documentation (`openssl req -x509 …`), which marks
//! the certificate as a CA (`basicConstraints CA:TRUE`); users put that
//! same file in `certs.d/HOST/ca.crt`. Go's crypto/x509, hence podman and
//! docker, accept a server certificate that is itself one of the trusted
//! roots. rustls' verifier (webpki) refuses a CA certificate as a server
//! certificate (`CaUsedAsEndEntity`) and ureq offers no hook to change
//! that, so for such registries berth connects through this connector: the
//! same rustls, the same roots (system bundle + the directory's CAs), and a
//! verifier that defers to webpki and makes exactly one exception — the
//! server presents, byte for byte, a certificate the user put in the
//! directory, valid now and for the host name. That is the certificate
//! the user chose to trust; nothing else is accepted that webpki refused.

use anyhow::{Context, Result};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, StreamOwned};
use std::fmt;
use std::io::{Read, Write};
use std::sync::Arc;
use ureq::tls::Certificate;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    TcpConnector, Transport, TransportAdapter,
};

/// The rustls settings: `roots` are trusted as CAs; `pinned` (the
/// directory's own CAs) are also accepted as the server's certificate;
/// `client` is a certificate chain and its key (PEM).
pub(crate) fn client_config(
    roots: &[Certificate<'static>],
    pinned: &[Certificate<'static>],
    client: Option<(&[Certificate<'static>], &[u8])>,
) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut store = RootCertStore::empty();
    let (_, ignored) = store.add_parsable_certificates(roots.iter().map(der));
    if ignored > 0 {
        log::debug!("{ignored} CA certificates could not be used");
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .context("no usable CA certificate")?;
    let verifier = Arc::new(TrustPinned {
        inner,
        pinned: pinned.iter().map(der).collect(),
    });
    let b = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .context("TLS versions")?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match client {
        None => b.with_no_client_auth(),
        Some((chain, key_pem)) => {
            let key = PrivateKeyDer::from_pem_slice(key_pem)
                .map_err(|e| anyhow::anyhow!("client key: {e}"))?;
            b.with_client_auth_cert(chain.iter().map(der).collect(), key)
                .context("client certificate and key do not match")?
        }
    };
    Ok(Arc::new(config))
}

fn der(c: &Certificate<'static>) -> CertificateDer<'static> {
    CertificateDer::from(c.der().to_vec())
}

/// webpki, plus the one exception the module header argues for.
#[derive(Debug)]
struct TrustPinned {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for TrustPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let err =
            match self
                .inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
        let ca_as_server = err.to_string().contains("CaUsedAsEndEntity");
        if !ca_as_server
            || !self
                .pinned
                .iter()
                .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Err(err);
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        match validity(end_entity.as_ref()) {
            Some((from, until)) => {
                let t = now.as_secs() as i64;
                if t < from || t > until {
                    return Err(rustls::Error::InvalidCertificate(
                        rustls::CertificateError::Expired,
                    ));
                }
            }
            None => return Err(err),
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One DER element: tag, contents, what follows.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *b.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some((tag, b.get(head..end)?, b.get(end..)?))
}

/// A certificate's validity period (notBefore, notAfter) in Unix seconds,
/// read from its DER (rustls does not expose it).
fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (_, cert, _) = tlv(der)?;
    let (_, tbs, _) = tlv(cert)?;
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag != 0xa0 {
        // No explicit version: that element was the serial number.
        rest = tbs;
    }
    let (_, _, rest) = tlv(rest)?; // serial
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, _, rest) = tlv(rest)?; // issuer
    let (_, v, _) = tlv(rest)?;
    let (t1, not_before, rest) = tlv(v)?;
    let (t2, not_after, _) = tlv(rest)?;
    Some((asn1_time(t1, not_before)?, asn1_time(t2, not_after)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`, tag 0x17) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`, tag 0x18) in Unix seconds.
fn asn1_time(tag: u8, b: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(b).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match (tag, s.len()) {
        (0x17, 12) => {
            let yy: i64 = s[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        (0x18, 14) => (s[..4].parse().ok()?, &s[4..]),
        _ => return None,
    };
    if !rest.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |i: usize| rest[i..i + 2].parse::<i64>().ok();
    let (month, day, h, m, sec) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    crate::time::parse_rfc3339(&format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{sec:02}Z"
    ))
}

/// The connector chain for such a registry: ureq's own (HTTP CONNECT
/// proxies, TCP), with this TLS on top.
pub(crate) fn connector(config: Arc<ClientConfig>) -> impl Connector<()> {
    ().chain(ConnectProxyConnector::default())
        .chain(TcpConnector::default())
        .chain(PinnedTls { config })
}

struct PinnedTls {
    config: Arc<ClientConfig>,
}

impl fmt::Debug for PinnedTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinnedTls")
    }
}

impl<In: Transport> Connector<In> for PinnedTls {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| ureq::Error::Tls("invalid server name"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned { conn, sock },
        })))
    }
}

pub(crate) struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let n = self.stream.read(input)?;
        self.buffers.input_appended(n);
        Ok(n > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn asn1_times_in_both_forms() {
        assert_eq!(asn1_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(asn1_time(0x17, b"491231235959Z"), Some(2524607999));
        assert_eq!(asn1_time(0x18, b"20261201093000Z"), Some(1796117400));
        assert_eq!(asn1_time(0x17, b"7001010000Z"), None);
        assert_eq!(asn1_time(0x18, b"2026120109300+Z"), None);
    }

    #[test]
    fn tlv_refuses_lengths_past_the_end() {
        assert_eq!(tlv(&[0x30, 0x03, 1, 2]), None);
        assert_eq!(tlv(&[0x30, 0x82, 0x00]), None);
        assert_eq!(
            tlv(&[0x02, 0x01, 7, 9]),
            Some((0x02, &[7u8][..], &[9u8][..]))
        );
    }

    /// `openssl req -x509 -newkey ec … -days 1`: CA:TRUE, self-signed.
    pub const CERT_PEM: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBbTCCAROgAwIBAgIUdpRIjAXs+aznqTZTBscOJQrJJMgwCgYIKoZIzj0EAwIw\n\
DDEKMAgGA1UEAwwBdDAeFw0yNjEyMDEwOTQyNTJaFw0yNjEyMDIwOTQyNTJaMAwx\n\
CjAIBgNVBAMMAXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASRIrHC3NnKO+bw\n\
wsxuycsSsIEpKCXLUj4uPlnED7zjbIWRIvRMA6//0ZMGUs0YKED4cTQHUNHZWN43\n\
AJLex6V8o1MwUTAdBgNVHQ4EFgQUWLa2AElhm4kJvxr4DBNaStrdkQUwHwYDVR0j\n\
BBgwFoAUWLa2AElhm4kJvxr4DBNaStrdkQUwDwYDVR0TAQH/BAUwAwEB/zAKBggq\n\
hkjOPQQDAgNIADBFAiAMg1JhqvZKd6hp8ZZrUr0Ciq25xbBoTQZAYrJuWCytGwIh\n\
ALOV3rE4YiL5DY8eVvg49Q/+tl0/dcMD1SHyGPX1zhXb\n\
-----END CERTIFICATE-----";

    #[test]
    fn validity_of_a_real_certificate() {
        let der = match ureq::tls::parse_pem(CERT_PEM.as_bytes()).next() {
            Some(Ok(ureq::tls::PemItem::Certificate(c))) => c.der().to_vec(),
            _ => panic!("test certificate does not parse"),
        };
        assert_eq!(validity(&der), Some((1796118172, 1796204572)));
        assert_eq!(validity(&der[..100]), None);
    }
}
