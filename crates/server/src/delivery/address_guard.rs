//! Which network addresses a webhook may reach: the guard against server-side request forgery.
//!
//! A webhook URL is typed in by clinic staff, so without a guard it could make the service post
//! to itself, to the cloud metadata endpoint (169.254.169.254) or to anything on the private
//! network it runs in. Every address a webhook connects to is classified here, both IP literals
//! in the URL and every address a name resolves to (the resolver in `webhook.rs` filters before
//! the connection is made, and the connection uses exactly the address that was checked, so a
//! name that resolves differently the second time cannot slip past).
//!
//! IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
//! `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address inside.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fc00::/7 (unique local), fec0::/10 (site-local).
    Private,
    /// 169.254/16 (including the cloud metadata address 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 100.64/10, carrier-grade NAT.
    SharedAddressSpace,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 192.0.0/24 (protocol assignments), 198.18/15 (benchmarking), 240/4, 100::/64 (discard).
    Reserved,
}

impl AddressClass {
    /// The class in words, for a message to staff.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Loopback => "a loopback address",
            Self::Private => "a private-network address",
            Self::LinkLocal => "a link-local address (this includes cloud metadata endpoints)",
            Self::Unspecified => "an unspecified address",
            Self::SharedAddressSpace => "a carrier-grade NAT address (100.64.0.0/10)",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Documentation => "a documentation-only address",
            Self::Reserved => "a reserved address",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The class of a non-public address, or `None` for an address on the public internet.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        _ if ip.is_broadcast() => AddressClass::Broadcast,
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, 64..=127, _) => AddressClass::SharedAddressSpace,
        (224..=239, _, _) => AddressClass::Multicast,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (192, 0, 0) | (198, 18..=19, _) | (240..=255, _, _) => AddressClass::Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let class = match s[0] {
        0xfc00..=0xfdff | 0xfec0..=0xfeff => AddressClass::Private,
        0xfe80..=0xfebf => AddressClass::LinkLocal,
        0xff00..=0xffff => AddressClass::Multicast,
        0x2001 if s[1] == 0x0db8 => AddressClass::Documentation,
        0x3fff if s[1] <= 0x0fff => AddressClass::Documentation,
        0x0100 if s[1..4] == [0, 0, 0] => AddressClass::Reserved,
        _ => return None,
    };
    Some(class)
}

/// The IPv4 address an IPv6 address stands for, where it carries one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d (:: and ::1 are handled before).
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        // NAT64, well-known prefix 64:ff9b::/96.
        [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 6to4, 2002:a.b.c.d::/48.
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

/// The message when `destination` (an address, or a name with the address it resolved to) is
/// refused: which class, and the setting that allows it.
pub fn refusal(destination: &str, class: AddressClass) -> String {
    format!(
        "refused to connect to {destination}: it is {class}; webhooks go to public addresses unless \
         allow_private_addresses = true is set for this webhook"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<AddressClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn loopback_v4_and_v6_and_their_mapped_forms() {
        for a in ["127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1"] {
            assert_eq!(class(a), Some(AddressClass::Loopback), "{a}");
        }
    }

    #[test]
    fn private_ranges_at_their_edges() {
        for a in ["10.0.0.1", "10.255.255.255", "172.16.0.0", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12::1"] {
            assert_eq!(class(a), Some(AddressClass::Private), "{a}");
        }
        for a in ["172.15.255.255", "172.32.0.0", "192.169.0.1", "11.0.0.1"] {
            assert_eq!(class(a), None, "{a}");
        }
        assert_eq!(class("::ffff:10.1.2.3"), Some(AddressClass::Private));
        assert_eq!(class("::ffff:192.168.0.1"), Some(AddressClass::Private));
        assert_eq!(class("2002:c0a8:0101::1"), Some(AddressClass::Private), "6to4 of 192.168.1.1");
    }

    #[test]
    fn link_local_includes_the_metadata_endpoint() {
        for a in ["169.254.169.254", "169.254.0.1", "fe80::1", "febf::1", "::ffff:169.254.169.254"] {
            assert_eq!(class(a), Some(AddressClass::LinkLocal), "{a}");
        }
    }

    #[test]
    fn unspecified_cgnat_multicast_broadcast() {
        assert_eq!(class("0.0.0.0"), Some(AddressClass::Unspecified));
        assert_eq!(class("0.1.2.3"), Some(AddressClass::Unspecified));
        assert_eq!(class("::"), Some(AddressClass::Unspecified));
        assert_eq!(class("::ffff:0.0.0.0"), Some(AddressClass::Unspecified));
        assert_eq!(class("100.64.0.1"), Some(AddressClass::SharedAddressSpace));
        assert_eq!(class("100.127.255.255"), Some(AddressClass::SharedAddressSpace));
        assert_eq!(class("100.128.0.1"), None);
        assert_eq!(class("100.63.255.255"), None);
        assert_eq!(class("224.0.0.1"), Some(AddressClass::Multicast));
        assert_eq!(class("239.255.255.250"), Some(AddressClass::Multicast));
        assert_eq!(class("ff02::1"), Some(AddressClass::Multicast));
        assert_eq!(class("255.255.255.255"), Some(AddressClass::Broadcast));
        assert_eq!(class("::ffff:255.255.255.255"), Some(AddressClass::Broadcast));
    }

    #[test]
    fn documentation_and_reserved() {
        for a in ["192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::1", "3fff::1", "::ffff:203.0.113.1"] {
            assert_eq!(class(a), Some(AddressClass::Documentation), "{a}");
        }
        for a in ["192.0.0.8", "198.18.0.1", "198.19.255.255", "240.0.0.1", "100::1"] {
            assert_eq!(class(a), Some(AddressClass::Reserved), "{a}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in
            ["1.1.1.1", "8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8"]
        {
            assert_eq!(class(a), None, "{a}");
        }
    }

    #[test]
    fn refusal_names_the_class_and_the_setting() {
        let msg = refusal("10.0.0.1", AddressClass::Private);
        assert!(msg.contains("10.0.0.1") && msg.contains("private-network"), "{msg}");
        assert!(msg.contains("allow_private_addresses"), "{msg}");
    }
}
