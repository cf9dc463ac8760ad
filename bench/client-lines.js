// What the parse-relay and the audit-relay do with the client's bytes: every line parsed, and its
// serialization what the server gets (one write per chunk). `seen` is shown each parsed message.
export function forwardParsedLines(input, output, seen = () => {}) {
  let partial = null;
  input.on("data", (chunk) => {
    let bytes = chunk;
    if (partial !== null) {
      bytes = Buffer.concat([partial, chunk]);
      partial = null;
    }
    let out = "";
    let start = 0;
    let newline = bytes.indexOf(10, start);
    while (newline !== -1) {
      const message = JSON.parse(bytes.toString("utf8", start, newline));
      seen(message);
      out += `${JSON.stringify(message)}\n`;
      start = newline + 1;
      newline = bytes.indexOf(10, start);
    }
    if (start < bytes.length) partial = bytes.subarray(start);
    if (out.length > 0) output.write(out);
  });
  input.on("end", () => output.end());
}
