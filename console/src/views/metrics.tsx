export function MetricsView() {
  return <p>metrics</p>;
}
