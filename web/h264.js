// H.264 Annex-B helpers: NAL unit scanning and the WebCodecs codec string.

// Yields [type, offset-of-NAL-header] for each NAL unit in an Annex-B buffer.
export function* nalUnits(bytes) {
  const n = bytes.length;
  for (let i = 0; i + 3 < n; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      yield [bytes[i + 3] & 0x1f, i + 3];
      i += 2;
    }
  }
}

const hex2 = (v) => v.toString(16).padStart(2, '0');

// "avc1.PPCCLL" from the first SPS (profile_idc, constraint flags, level_idc),
// or null when the access unit carries no SPS.
export function codecFromAnnexB(bytes) {
  for (const [type, at] of nalUnits(bytes)) {
    if (type === 7 && at + 3 < bytes.length)
      return `avc1.${hex2(bytes[at + 1])}${hex2(bytes[at + 2])}${hex2(bytes[at + 3])}`;
  }
  return null;
}

export function profileName(codec) {
  const p = parseInt(codec.slice(5, 7), 16);
  const c = parseInt(codec.slice(7, 9), 16);
  if (p === 66) return c & 0x40 ? 'constrained baseline' : 'baseline';
  if (p === 77) return 'main';
  if (p === 100) return 'high';
  return `profile ${p}`;
}
