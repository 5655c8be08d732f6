/** A measured value for a chart: the number, or null (a gap in the line) where it is NaN or missing. */
export function chartValue(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Whether the point at `i` has no neighbour with a value: a line cannot show it, so it gets a marker. */
export function isolatedPoint(points: ReadonlyArray<{ y: number | null }>, i: number): boolean {
  return points[i]?.y != null && points[i - 1]?.y == null && points[i + 1]?.y == null;
}
