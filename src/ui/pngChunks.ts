/**
 * PNG text chunks: iTXt entries (UTF-8, uncompressed) written after a PNG's
 * header chunk, so that the file carries its title, description and share link.
 */

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One iTXt chunk (UTF-8 text, uncompressed): keyword, flags, empty language and translated keyword, text. */
function itxt(keyword: string, text: string): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const data = new Uint8Array([...enc.encode(keyword), 0, 0, 0, 0, 0, ...enc.encode(text)]);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(enc.encode('iTXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

/** The PNG with text chunks after its header chunk (signature 8 bytes + IHDR 25). */
export async function withText(png: Blob, entries: [string, string][]): Promise<Blob> {
  const bytes = new Uint8Array(await png.arrayBuffer());
  const at = 8 + 25;
  const chunks = entries.filter(([, v]) => v).map(([k, v]) => itxt(k, v));
  return new Blob([bytes.subarray(0, at), ...chunks, bytes.subarray(at)], { type: 'image/png' });
}
