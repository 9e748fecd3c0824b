//! Who is at the other end of a request: the TCP peer, or, when that peer is one of the
//! `[portal] trusted_proxies`, the client its `X-Forwarded-For` names.
//!
//! The header is only believed as far as trusted proxies wrote it. Each proxy appends the
//! address it was connected from, so the list is read from the right: addresses of trusted
//! proxies are passed over, and the first address that is not one is the client. Everything to
//! the left of it was written by that client and may be anything.

use axum::http::header::{HeaderMap, HeaderName, HeaderValue};
use ipnet::IpNet;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

/// The header a reverse proxy appends the address it was connected from to.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Most `X-Forwarded-For` elements read, from the right (empty ones count). A client is
/// found within them or not at all: a longer chain of trusted proxies is not believed.
pub const MAX_FORWARDED_ELEMENTS: usize = 20;

/// The longest textual IP address (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`); a longer
/// element is malformed without being parsed.
const MAX_ADDRESS_LEN: usize = 45;

/// A request's client address, put on each request by [`crate::serve`] as
/// `ConnectInfo<ClientAddr>`: for per-address limits and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    peer: SocketAddr,
    ip: IpAddr,
}

impl ClientAddr {
    /// The client is the connection's remote end (no proxy believed).
    pub fn direct(peer: SocketAddr) -> Self {
        Self {
            peer,
            ip: peer.ip(),
        }
    }

    /// The client's address: the peer's, or the one a trusted proxy forwarded.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The connection's remote end (the nearest proxy, behind one).
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
    /// The client's address of a request, as [`crate::serve`] put it on the request.
    pub fn of_request(extensions: &axum::http::Extensions) -> Option<IpAddr> {
        extensions
            .get::<axum::extract::ConnectInfo<ClientAddr>>()
            .map(|c| c.0.ip())
    }
}

/// One `[portal] trusted_proxies` entry: a network (`10.0.0.0/8`, `fd00::/8`) or a single
/// address (`127.0.0.1`, the same as `127.0.0.1/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TrustedNetwork(IpNet);

impl TrustedNetwork {
    pub fn network(&self) -> IpNet {
        self.0
    }
}

impl FromStr for TrustedNetwork {
    type Err = String;

    /// Refuses what is most likely a mistake: host bits set (`10.1.0.0/8` trusts far more than
    /// it seems to say) and `/0` (everyone could then choose their own address).
    fn from_str(text: &str) -> Result<Self, String> {
        let network = match IpAddr::from_str(text) {
            Ok(ip) => IpNet::from(ip),
            Err(_) => IpNet::from_str(text).map_err(|_| {
                "is not an IP network (a.b.c.d/n, an IPv6 network, or a single address)".to_owned()
            })?,
        };
        if network.prefix_len() == 0 {
            return Err("trusts every address, so anyone could choose their own".to_owned());
        }
        if network.trunc() != network {
            return Err(format!(
                "has host bits set: the network is {}",
                network.trunc()
            ));
        }
        Ok(Self(network))
    }
}

impl TryFrom<String> for TrustedNetwork {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
            .map_err(|why| format!("portal.trusted_proxies entry {text:?} {why}"))
    }
}

/// The trusted networks, ready for every request. Cloned per request: empty is `None`, so a
/// portal that trusts no proxy neither allocates nor reads a header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Option<Arc<[IpNet]>>);

impl TrustedProxies {
    pub fn new(networks: &[TrustedNetwork]) -> Self {
        if networks.is_empty() {
            return Self(None);
        }
        Self(Some(networks.iter().map(TrustedNetwork::network).collect()))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client_addr(&self, peer: SocketAddr, headers: &HeaderMap) -> ClientAddr {
        match &self.0 {
            None => ClientAddr::direct(peer),
            Some(trusted) => ClientAddr {
                peer,
                ip: client_ip(peer, headers.get_all(X_FORWARDED_FOR).iter(), trusted),
            },
        }
    }
}

/// The client's address, from the connection's `peer`, the request's `X-Forwarded-For` lines
/// in the order received (several lines make one list, in order) and the `trusted` networks.
///
/// - The peer is not trusted: the peer; the header is not read (anyone can write it).
/// - Otherwise the list is walked from the right, one element at a time, each trimmed of
///   whitespace; empty elements are passed over (they still count towards the limit below).
///   - An element that is not a bare IPv4 or IPv6 address (a port, brackets, a zone, `unknown`,
///     anything else) ends the walk: the answer is the peer. What a trusted proxy has not
///     written correctly tells nothing about who is behind it.
///   - An address outside the trusted networks is the answer.
///   - An address inside them is passed over.
/// - Every element walked is trusted: the leftmost of them; none (no header, only empty ones):
///   the peer.
/// - Only the rightmost [`MAX_FORWARDED_ELEMENTS`] elements are read. When all of them are
///   empty or trusted and the list goes on, the answer is the peer: the client is not known.
///
/// An address is matched against the networks in its canonical form (`::ffff:10.0.0.1` is
/// `10.0.0.1`, as a dual-stack listener reports IPv4 peers); the answer is as written.
pub fn client_ip<'a>(
    peer: SocketAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a HeaderValue>,
    trusted: &[IpNet],
) -> IpAddr {
    if !is_trusted(peer.ip(), trusted) {
        return peer.ip();
    }
    let elements = forwarded_for.rev().flat_map(|line| {
        line.as_bytes()
            .rsplit(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
    });
    let mut leftmost_trusted = None;
    for (read, element) in elements.enumerate() {
        if read == MAX_FORWARDED_ELEMENTS {
            return peer.ip();
        }
        if element.is_empty() {
            continue;
        }
        let Some(ip) = address(element) else {
            return peer.ip();
        };
        if !is_trusted(ip, trusted) {
            return ip;
        }
        leftmost_trusted = Some(ip);
    }
    leftmost_trusted.unwrap_or(peer.ip())
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|network| network.contains(&ip))
}

/// A bare IP address, or `None`.
fn address(element: &[u8]) -> Option<IpAddr> {
    if element.len() > MAX_ADDRESS_LEN {
        return None;
    }
    std::str::from_utf8(element).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROXY: &str = "10.0.0.5:40000";
    const STRANGER: &str = "203.0.113.9:40000";

    fn trusted() -> Vec<IpNet> {
        ["10.0.0.0/8", "127.0.0.1/32", "::1/128", "fd00::/8"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect()
    }

    fn walk(peer: &str, lines: &[&[u8]]) -> String {
        let lines: Vec<HeaderValue> = lines
            .iter()
            .map(|l| HeaderValue::from_bytes(l).unwrap())
            .collect();
        client_ip(peer.parse().unwrap(), lines.iter(), &trusted()).to_string()
    }

    #[test]
    fn the_client_is_the_first_untrusted_address_from_the_right() {
        // (peer, X-Forwarded-For lines, client)
        let table: [(&str, &[&[u8]], &str); 14] = [
            (PROXY, &[], "10.0.0.5"),
            (PROXY, &[b"198.51.100.7"], "198.51.100.7"),
            (PROXY, &[b" 198.51.100.7 "], "198.51.100.7"),
            (PROXY, &[b"198.51.100.7, 10.1.1.1"], "198.51.100.7"),
            (
                PROXY,
                &[b"198.51.100.7,10.1.1.1,\t10.2.2.2"],
                "198.51.100.7",
            ),
            (PROXY, &[b"2001:db8::7"], "2001:db8::7"),
            (PROXY, &[b"2001:db8::7, fd00::1"], "2001:db8::7"),
            ("[::1]:40000", &[b"198.51.100.7"], "198.51.100.7"),
            // A dual-stack listener's IPv4 peer, and a proxy writing one.
            (
                "[::ffff:10.0.0.5]:40000",
                &[b"198.51.100.7"],
                "198.51.100.7",
            ),
            (PROXY, &[b"198.51.100.7, ::ffff:10.1.1.1"], "198.51.100.7"),
            // Several lines are one list, in order.
            (PROXY, &[b"198.51.100.7", b"10.1.1.1"], "198.51.100.7"),
            (PROXY, &[b"10.1.1.1", b"198.51.100.7"], "198.51.100.7"),
            // Every address trusted: the leftmost.
            (PROXY, &[b"10.3.3.3, 10.1.1.1", b"127.0.0.1"], "10.3.3.3"),
            // Empty elements are passed over.
            (PROXY, &[b"198.51.100.7, , 10.1.1.1,"], "198.51.100.7"),
        ];
        for (peer, lines, client) in table {
            assert_eq!(walk(peer, lines), client, "{peer} {lines:?}");
        }
    }

    #[test]
    fn what_must_not_work() {
        let long_trusted = ["10.0.0.1"; MAX_FORWARDED_ELEMENTS].join(",");
        let too_long_trusted = format!("198.51.100.7,{long_trusted}");
        let mut within_reach = vec!["10.0.0.1"; MAX_FORWARDED_ELEMENTS - 1];
        within_reach.insert(0, "198.51.100.7");
        let within_reach = within_reach.join(",");
        let garbage_then_client = format!("{},198.51.100.7", "x".repeat(10_000));
        let then_commas = format!("198.51.100.7{}", ",".repeat(MAX_FORWARDED_ELEMENTS));
        // (peer, X-Forwarded-For lines, client, why)
        let table: [(&str, &[&[u8]], &str, &str); 17] = [
            (
                STRANGER,
                &[b"198.51.100.7"],
                "203.0.113.9",
                "an untrusted peer's header is ignored",
            ),
            (
                STRANGER,
                &[b"10.1.1.1"],
                "203.0.113.9",
                "... even naming a trusted proxy",
            ),
            (
                PROXY,
                &[b"192.0.2.66, 198.51.100.7"],
                "198.51.100.7",
                "a spoofed leftmost element behind a trusted proxy is not reached",
            ),
            (
                PROXY,
                &[b"192.0.2.66", b"198.51.100.7"],
                "198.51.100.7",
                "... nor a spoofed earlier line",
            ),
            (PROXY, &[b"garbage"], "10.0.0.5", "garbage is no address"),
            (PROXY, &[b"unknown"], "10.0.0.5", "nor is `unknown`"),
            (
                PROXY,
                &[b"198.51.100.7, garbage"],
                "10.0.0.5",
                "garbage ends the walk",
            ),
            (
                PROXY,
                &[b"garbage, 198.51.100.7"],
                "198.51.100.7",
                "garbage beyond the client is never read",
            ),
            (
                PROXY,
                &[b"198.51.100.7:443"],
                "10.0.0.5",
                "an element with a port is malformed",
            ),
            (
                PROXY,
                &[b"[2001:db8::7]:443"],
                "10.0.0.5",
                "... in IPv6 too",
            ),
            (
                PROXY,
                &[b"[2001:db8::7]"],
                "10.0.0.5",
                "brackets are malformed",
            ),
            (PROXY, &[b"fe80::1%eth0"], "10.0.0.5", "a zone is malformed"),
            (
                PROXY,
                &[b"010.0.0.1"],
                "10.0.0.5",
                "leading zeros are malformed",
            ),
            (
                PROXY,
                &[too_long_trusted.as_bytes()],
                "10.0.0.5",
                "past the cap of trusted elements: the peer",
            ),
            (
                PROXY,
                &[within_reach.as_bytes()],
                "198.51.100.7",
                "the client within the cap is found",
            ),
            (
                PROXY,
                &[garbage_then_client.as_bytes()],
                "198.51.100.7",
                "an overlong element left of the client is never read",
            ),
            (
                PROXY,
                &[then_commas.as_bytes()],
                "10.0.0.5",
                "empty elements count towards the cap",
            ),
        ];
        for (peer, lines, client, why) in table {
            assert_eq!(walk(peer, lines), client, "{why}");
        }
        assert_eq!(
            walk(PROXY, &[long_trusted.as_bytes()]),
            "10.0.0.1",
            "exactly the cap of trusted elements: the leftmost"
        );
        let overlong = format!("{}1", "0:".repeat(40));
        assert_eq!(walk(PROXY, &[overlong.as_bytes()]), "10.0.0.5");
        assert_eq!(
            walk(PROXY, &[b"198.51.100.7, 10.1.1.1\xff"]),
            "10.0.0.5",
            "a byte that is not ASCII is malformed"
        );
    }

    #[test]
    fn trusting_no_one_reads_no_header() {
        let mut headers = HeaderMap::new();
        headers.insert(X_FORWARDED_FOR, HeaderValue::from_static("198.51.100.7"));
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let none = TrustedProxies::new(&[]);
        assert_eq!(none, TrustedProxies::default());
        assert_eq!(none.client_addr(peer, &headers), ClientAddr::direct(peer));
        let loopback = TrustedProxies::new(&["127.0.0.1".parse().unwrap()]);
        let client = loopback.client_addr(peer, &headers);
        assert_eq!(
            (client.ip().to_string(), client.peer()),
            ("198.51.100.7".to_owned(), peer)
        );
    }

    #[test]
    fn trusted_networks_are_networks_or_single_addresses() {
        // (entry, network, or the start of the reason it is refused)
        let table = [
            ("10.0.0.0/8", Ok("10.0.0.0/8")),
            ("127.0.0.1", Ok("127.0.0.1/32")),
            ("127.0.0.1/32", Ok("127.0.0.1/32")),
            ("::1", Ok("::1/128")),
            ("fd00::/8", Ok("fd00::/8")),
            (
                "10.1.0.0/8",
                Err("has host bits set: the network is 10.0.0.0/8"),
            ),
            ("0.0.0.0/0", Err("trusts every address")),
            ("::/0", Err("trusts every address")),
            ("10.0.0.0/33", Err("is not an IP network")),
            ("10.0.0.0/", Err("is not an IP network")),
            ("localhost", Err("is not an IP network")),
            (" 10.0.0.1", Err("is not an IP network")),
            ("", Err("is not an IP network")),
        ];
        for (entry, expected) in table {
            let parsed = entry
                .parse::<TrustedNetwork>()
                .map(|n| n.network().to_string());
            match (parsed, expected) {
                (Ok(network), Ok(want)) => assert_eq!(network, want, "{entry}"),
                (Err(why), Err(want)) => assert!(why.starts_with(want), "{entry}: {why}"),
                (parsed, _) => panic!("{entry}: {parsed:?}"),
            }
        }
    }
}
