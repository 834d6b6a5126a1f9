export function EmailsView() {
  return <p>emails</p>;
}
