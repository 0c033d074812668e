// "Use my location": fills `near` with the browser's position, on request only.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("locate");
  const near = document.getElementById("near");
  const status = document.getElementById("locate_status");
  if (!button || !near || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    status.textContent = "Locating…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        near.value = `${pos.coords.latitude.toFixed(4)},${pos.coords.longitude.toFixed(4)}`;
        status.textContent = "Location set.";
      },
      () => { status.textContent = "Location unavailable."; },
      { timeout: 10000 },
    );
  });
});

// Shareable URLs: htmx leaves empty fields out of the query it sends (and pushes).
document.addEventListener("htmx:configRequest", (event) => {
  const data = event.detail.formData;
  if (!data) return;
  for (const [key, value] of [...data.entries()]) {
    if (value === "") data.delete(key);
  }
});
