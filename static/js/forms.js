// A form that comes back with errors: put the keyboard (and a screen reader) on the first field to fix.
// Django marks such a field aria-invalid="true" and links its message with aria-describedby.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector('[aria-invalid="true"]:not([type="hidden"])');
  const active = document.activeElement;
  if (!first || (active && active !== document.body && active.matches("input, select, textarea"))) return;
  first.focus({ preventScroll: true });
  first.scrollIntoView({ block: "center" });
});
