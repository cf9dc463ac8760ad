// The other spellings of a string that a server's own types read as the same value, for conditions
// on strings: a URL as the WHATWG URL Standard serializes it (pydantic's AnyUrl and HttpUrl, Node's
// URL and fetch: `HTTP://0xA9FEA9FE\latest` is http://169.254.169.254/latest), a UUID in its
// canonical form (Python's UUID() takes upper case, `urn:uuid:`, braces, hyphens anywhere or none,
// and what int(_, 16) takes: `0x`, `+`, `_`), and an IPv6
// address compressed (RFC 5952; Python's ipaddress) with an IPv4-mapped one's IPv4 address, and without
// its zone index.

/** WHATWG's special schemes, whose hosts it parses (IPv4 in hex, decimal and short forms, case, IDNA). */
const SPECIAL_URL = /^[\0- ]*(?:https?|wss?|ftp|file):/i;
/** A scheme, with the tabs and newlines WHATWG's parser removes from anywhere in a URL: looked for first, at the start only. */
const SCHEME_LIKE = /^[\0- ]*[a-z\t\n\r]{2,12}:/i;
const TAB_OR_NEWLINE = /[\t\n\r]/g;
/** What Python's UUID() may take: hex, braces, hyphens, urn: and uuid:, and what int(_, 16) takes (0x, _, +, spaces). */
const UUID_LIKE = /^[0-9a-fx{}\-urnid:_+\s]+$/i;
/** Longer than a UUID with a hyphen between every two characters and its prefixes: read no further. */
const MAX_UUID_TEXT = 256;
/** int(_, 16): whitespace, a sign, an optional 0x, then hex digits with single underscores between (and after 0x). */
const PYTHON_HEX = /^\s*\+?(?:0x_?)?([0-9a-f]+(?:_[0-9a-f]+)*)\s*$/i;
const IPV6_LIKE = /^[0-9a-f:.]{2,45}$/i;
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
/** Longer than any URL a server takes (HttpUrl's limit is 2083): read no further. */
const MAX_URL_TEXT = 8192;

/** The spellings other than `text` itself that a server may read `text` as: [] for most strings. */
export function stringForms(text: string): string[] {
  const forms: string[] = [];
  const add = (form: string | null) => {
    if (form !== null && form !== text && !forms.includes(form)) forms.push(form);
  };
  // Cheap tests first: this runs for every string a condition on strings does not decide at once.
  if (text.length <= MAX_URL_TEXT && SCHEME_LIKE.test(text) && SPECIAL_URL.test(schemeOf(text))) {
    const url = urlForm(text);
    if (url !== null) {
      add(url.href);
      // A host's trailing dot names the same host to a resolver.
      if (url.hostname.endsWith(".")) {
        url.hostname = url.hostname.slice(0, -1);
        add(url.href);
      }
      // An IPv4-mapped IPv6 host ([::ffff:a9fe:a9fe]) reaches the IPv4 address it maps.
      if (url.hostname.startsWith("[")) {
        const ipv4 = ipv6Forms(url.hostname.slice(1, -1)).at(-1);
        if (ipv4 !== undefined && !ipv4.includes(":")) {
          url.hostname = ipv4;
          add(url.href);
        }
      }
    }
  }
  if (text.length >= 32 && text.length <= MAX_UUID_TEXT && UUID_LIKE.test(text)) add(uuidForm(text));
  if (text.includes(":")) for (const form of addressForms(text)) add(form);
  return forms;
}

/** The start of a text that SCHEME_LIKE matched, without its tabs and newlines. */
function schemeOf(text: string): string {
  return text.slice(0, 64).replace(TAB_OR_NEWLINE, "");
}

function urlForm(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The canonical form of the UUID Python's UUID() reads `text` as, or null where it reads none. */
function uuidForm(text: string): string | null {
  let hex = text.replaceAll("urn:", "").replaceAll("uuid:", "");
  let start = 0;
  let end = hex.length;
  while (start < end && "{}".includes(hex.charAt(start))) start++;
  while (end > start && "{}".includes(hex.charAt(end - 1))) end--;
  hex = hex.slice(start, end).replaceAll("-", "");
  if (hex.length !== 32) return null;
  const digits = PYTHON_HEX.exec(hex)?.[1];
  if (digits === undefined) return null;
  // Fewer than 32 digits (after 0x, +, _ or a space) are a smaller number: zeros lead its UUID.
  const value = digits.replaceAll("_", "").toLowerCase().padStart(32, "0");
  return `${value.slice(0, 8)}-${value.slice(8, 12)}-${value.slice(12, 16)}-${value.slice(16, 20)}-${value.slice(20)}`;
}

/**
 * An IPv6 address's forms; with a zone index (`::1%lo`, which Python's IPv6Address takes and keeps),
 * also the forms of the address without it: the zone names an interface, the address is the same.
 */
function addressForms(text: string): string[] {
  const zoneAt = text.indexOf("%");
  if (zoneAt === -1) return text.length <= 45 && IPV6_LIKE.test(text) ? ipv6Forms(text) : [];
  const address = text.slice(0, zoneAt);
  const zone = text.slice(zoneAt);
  // Python refuses an empty zone and a second %.
  if (address.length > 45 || zone.length < 2 || zone.includes("%", 1) || !IPV6_LIKE.test(address)) return [];
  const unzoned = ipv6Forms(address);
  return [...unzoned.map((form) => form + zone), ...unzoned];
}

/** The address compressed; for an IPv4-mapped one also `::ffff:1.2.3.4` and `1.2.3.4`, which it reaches. */
function ipv6Forms(text: string): string[] {
  const url = urlForm(`http://[${text}]/`);
  if (url === null) return [];
  const compressed = url.hostname.slice(1, -1);
  const mapped = MAPPED_IPV4.exec(compressed);
  if (mapped === null) return [compressed];
  const high = Number.parseInt(mapped[1] as string, 16);
  const low = Number.parseInt(mapped[2] as string, 16);
  const ipv4 = `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  return [compressed, `::ffff:${ipv4}`, ipv4];
}
