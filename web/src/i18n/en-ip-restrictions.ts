/** English for the admin center's IP restrictions page. Part of the reference catalog. */
export const enIpRestrictions = {
  "ipr.nav": "IP restrictions",
  "ipr.title": "IP restrictions",
  "ipr.intro": "Admit staff, on these pages and through the API, only from your own networks. Every sign-in and every request is checked, whatever the credential: sessions, API tokens and sign-in links.",
  "ipr.enabled": "Only allow access from the listed networks",
  "ipr.ranges": "Allowed networks",
  "ipr.rangesHelp": "IPv4 and IPv6 addresses or CIDR ranges, separated by spaces or new lines, for example 192.0.2.0/24 2001:db8::/48.",
  "ipr.endUsers": "Apply to end users too (help center and requests)",
  "ipr.twoFactor": "Allow sign-in from outside these networks when the person signs in with two-factor authentication or a passkey",
  "ipr.twoFactorHelp": "API tokens never take this exception: they are used from the listed networks only.",
  "ipr.current": "Your current address, as the server sees it: {ip}.",
  "ipr.currentUnknown": "The server could not tell your address.",
  "ipr.currentIn": "It is in the allowed networks.",
  "ipr.currentOut": "It is not in the allowed networks.",
  "ipr.lockout": "This change would sign you out: your current address is outside these networks, and the two-factor exception does not cover your sign-in. You would need to come back from an allowed network, or ask the server's operator.",
  "ipr.lockoutConfirm": "I understand: save and lock me out",
  "ipr.cancel": "Cancel",
};
