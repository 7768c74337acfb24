/**
 * Smooth weighted round-robin, as in nginx's upstream balancer: every pick adds each item's weight to its running
 * score, takes the highest score (the earliest item on ties) and subtracts the total weight from it. Over any cycle
 * of `total` picks each item is chosen exactly `weight` times, and the picks are interleaved (weights 1 and 3 give
 * B B A B, not A B B B), so load spreads evenly even over short windows and the spread is reproducible in tests,
 * unlike random choice.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const smoothWeightedRoundRobin = <A>(
  entries: ReadonlyArray<{ readonly item: A; readonly weight: number }>
): () => A => {
  const n = entries.length
  if (n === 1) {
    const only = entries[0].item
    return () => only
  }
  const items = entries.map((e) => e.item)
  const weights = Float64Array.from(entries, (e) => e.weight)
  const scores = new Float64Array(n)
  let total = 0
  for (let i = 0; i < n; i++) total += weights[i]
  return () => {
    let best = 0
    for (let i = 0; i < n; i++) {
      scores[i] += weights[i]
      if (scores[i] > scores[best]) best = i
    }
    scores[best] -= total
    return items[best]
  }
}
