/**
 * Python's round(x, places): the decimal nearest to the double's exact value, ties to the even digit.
 * toFixed rounds the exact value too but sends ties up (round(0.03125, 4) is 0.0312 in Python, 0.0313 by toFixed),
 * so a tie is recognised from the exact expansion: it ends in that 5, and a double that is not a tie lies much
 * further than 1e-100 from one, so its first 100 digits tell.
 */
export function roundLikePython(x: number, places: number): number {
  if (!Number.isFinite(x)) return x;
  const magnitude = Math.abs(x);
  const exact = magnitude.toFixed(100);
  const cut = exact.indexOf('.') + 1 + places;
  const tie = /^50*$/.test(exact.slice(cut));
  const lastKept = Number(exact[cut - 1] === '.' ? exact[cut - 2] : exact[cut - 1]);
  const rounded = tie && lastKept % 2 === 0 ? Number(exact.slice(0, cut)) : Number(magnitude.toFixed(places));
  return x < 0 ? -rounded : rounded;
}
