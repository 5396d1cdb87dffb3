// "Use my location" for the finder: an optional extra. Without JavaScript, or without
// permission, the postcode-or-town box does the same job. The browser's position is rounded to
// about 1 km and sent only to this site, as the `lat` and `lon` of an ordinary search.
(function () {
  "use strict";
  var form = document.getElementById("finder-form");
  if (!form || !("geolocation" in navigator)) {
    return;
  }
  var wrapper = document.createElement("div");
  wrapper.className = "finder-location";
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "Use my location";
  var status = document.createElement("p");
  status.className = "finder-location-status";
  status.setAttribute("role", "status");
  wrapper.appendChild(button);
  wrapper.appendChild(status);
  form.insertBefore(wrapper, form.firstChild);

  function field(name) {
    var element = form.elements[name];
    return element ? element : null;
  }

  button.addEventListener("click", function () {
    status.textContent = "Finding your location\u2026";
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var params = new URLSearchParams();
        params.set("lat", position.coords.latitude.toFixed(2));
        params.set("lon", position.coords.longitude.toFixed(2));
        var procedure = field("procedure");
        if (procedure && procedure.value) {
          params.set("procedure", procedure.value);
        }
        var emergency = field("emergency");
        if (emergency && emergency.checked) {
          params.set("emergency", "yes");
        }
        var radius = field("radius");
        if (radius && radius.value) {
          params.set("radius", radius.value);
        }
        window.location.assign(form.getAttribute("action") + "?" + params.toString());
      },
      function () {
        button.disabled = false;
        status.textContent = "We could not get your location. Please enter your postcode or town instead.";
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
    );
  });
})();
