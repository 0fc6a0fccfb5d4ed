// The page knows the built-in types (compiled in) and learns the others from the API's answers: types are
// registered at runtime, so the filter's choices, the chart's series and their colours follow what the
// stats and the list return, never a fixed list.

/** What a type's name looks like: ACTIVITY_TYPE_NAME_PATTERN of the contract (a test holds them equal). */
export const TYPE_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * The built-ins' colours, in their declared order, as the chart always drew them. Each has at least 4.5:1
 * contrast on the white panel, the bar the generated colours are held to.
 */
export const BUILT_IN_PALETTE = [
  '#1d4ed8',
  '#b45309',
  '#047857',
  '#be123c',
  '#6d28d9',
  '#0e7490',
  '#4d7c0f',
  '#a21caf',
  // SCREEN, IDENTIFY, GROUP and ALIAS, the Segment calls' types.
  '#4338ca',
  '#57534e',
  '#854d0e',
  '#9d174d',
] as const;

const PANEL_BACKGROUND = '#ffffff';
export const MIN_CONTRAST = 4.5;

/** Built-ins first, in their declared order, then the others by name: the API's stats order, so nothing jumps. */
export function orderTypes(types: Iterable<string>, builtIns: readonly string[]): string[] {
  const rank = (type: string) => {
    const i = builtIns.indexOf(type);
    return i === -1 ? builtIns.length : i;
  };
  return [...new Set(types)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** A colour per type: the fixed palette for built-ins, a colour derived from the name for every other type. */
export function typeColors(builtIns: readonly string[]): (type: string) => string {
  const cache = new Map<string, string>();
  return (type) => {
    let color = cache.get(type);
    if (color === undefined) {
      const i = builtIns.indexOf(type);
      color = i === -1 ? hashedColor(type) : BUILT_IN_PALETTE[i % BUILT_IN_PALETTE.length]!;
      cache.set(type, color);
    }
    return color;
  };
}

/**
 * The same colour for a name on every page and every reload: its hue from a hash of the name, darkened
 * until it reads on the panel (MIN_CONTRAST), so a type registered tomorrow is as legible as a built-in.
 */
export function hashedColor(type: string): string {
  const hue = fnv1a(type) % 360;
  for (let lightness = 45; ; lightness -= 3) {
    const color = hslToHex(hue, 70, lightness);
    if (lightness <= 15 || contrast(color, PANEL_BACKGROUND) >= MIN_CONTRAST) return color;
  }
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours. */
export function contrast(a: string, b: string): number {
  const [lighter, darker] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const s = saturation / 100;
  const l = lightness / 100;
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** 32-bit FNV-1a: small, stable across browsers, and spreads similar names (VIDEO_PLAY, VIDEO_PAUSE) apart. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
