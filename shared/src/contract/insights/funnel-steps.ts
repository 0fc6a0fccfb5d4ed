/**
 * The steps of a funnel as GET /api/v1/insights/funnel takes them (`steps=SIGNUP,SEARCH[metadata.query=a,b],PURCHASE`),
 * split at the commas outside brackets: a bracket runs to the next `]`, so a compared value may hold commas. The api
 * parses each part; the dashboard writes and reads its URL with the same split.
 */
export function splitFunnelSteps(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inBracket = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inBracket) inBracket = c !== ']';
    else if (c === '[') inBracket = true;
    else if (c === ',') {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
