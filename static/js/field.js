/* Field pages (steward tablet, contractor view): signature canvas, photo downscaling, form drafts.
 * No inline scripts: everything hooks onto data-* attributes rendered by the templates. */
(function () {
  "use strict";

  var DRAFT_PREFIX = "baoxiu-draft:";
  // Translated texts come from the page (templates/tickets/field/_base.html), so they are translated with the rest.
  function text(key, fallback) {
    var el = document.getElementById("field-i18n");
    return (el && el.getAttribute("data-" + key.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); }))) || fallback;
  }

  /* ---------- signature canvas ---------- */

  function initSignature(box) {
    var canvas = box.querySelector("[data-signature-canvas]");
    var input = box.querySelector("[data-signature-value]");
    var clear = box.querySelector("[data-signature-clear]");
    if (!canvas || !input) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;

    function style() {
      ctx.lineWidth = 3.2;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
    }
    function point(ev) {
      var r = canvas.getBoundingClientRect();
      return {
        x: (ev.clientX - r.left) * (canvas.width / r.width),
        y: (ev.clientY - r.top) * (canvas.height / r.height)
      };
    }
    function start(ev) {
      ev.preventDefault();
      drawing = true;
      if (canvas.setPointerCapture && ev.pointerId !== undefined) {
        try { canvas.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic events */ }
      }
      var p = point(ev);
      style();
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      ctx.lineTo(p.x + 0.1, p.y + 0.1);
      ctx.stroke();
      inked = true;
    }
    function move(ev) {
      if (!drawing) return;
      ev.preventDefault();
      var p = point(ev);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
    }
    function end() {
      if (!drawing) return;
      drawing = false;
      store();
    }
    function store() {
      input.value = inked ? canvas.toDataURL("image/png") : "";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    canvas.addEventListener("pointerdown", start);
    canvas.addEventListener("pointermove", move);
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        inked = false;
        store();
      });
    }
    var form = box.closest("form");
    if (form) form.addEventListener("submit", function () { if (inked) input.value = canvas.toDataURL("image/png"); });

    // Drawn before a failed submit (or kept in a draft): show it again.
    box.restore = function () {
      if (!input.value || input.value.indexOf("data:image/png;base64,") !== 0) return;
      var img = new Image();
      img.onload = function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        inked = true;
      };
      img.src = input.value;
    };
    box.restore();
  }

  /* ---------- photos: downscale in the browser before upload ---------- */

  var MAX_BYTES_AS_IS = 1.5 * 1024 * 1024;

  function loadImage(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return createImageBitmap(file); });
    }
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = url;
    });
  }

  function downscale(file, maxSide) {
    if (!file.type || file.type.indexOf("image/") !== 0) return Promise.resolve(file);
    return loadImage(file).then(function (img) {
      var w = img.width, h = img.height;
      var scale = Math.min(1, maxSide / Math.max(w, h));
      if (scale === 1 && file.size <= MAX_BYTES_AS_IS) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]+$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; }); // the server checks and explains what it cannot read
  }

  function initPhotos(input) {
    var maxSide = parseInt(input.getAttribute("data-downscale"), 10) || 1600;
    var status = input.closest(".f-field") && input.closest(".f-field").querySelector("[data-photo-status]");
    var form = input.form;
    input.addEventListener("change", function () {
      if (!input.files || !input.files.length || !window.DataTransfer) return;
      var files = Array.prototype.slice.call(input.files);
      var before = files.reduce(function (n, f) { return n + f.size; }, 0);
      input.pending = Promise.all(files.map(function (f) { return downscale(f, maxSide); })).then(function (out) {
        var dt = new DataTransfer();
        out.forEach(function (f) { dt.items.add(f); });
        input.files = dt.files;
        var after = out.reduce(function (n, f) { return n + f.size; }, 0);
        if (status) {
          status.textContent = text("photosReady", "Photos ready") + ": " + out.length + " · " +
            Math.round(before / 1024) + " KB → " + Math.round(after / 1024) + " KB";
        }
        input.pending = null;
      });
    });
    if (form) {
      form.addEventListener("submit", function (ev) {
        if (input.pending) {
          ev.preventDefault();
          input.pending.then(function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
        }
      });
    }
  }

  /* ---------- drafts: keep what was typed when an upload or the network fails ---------- */

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled) return false;
      if (el.name === "csrfmiddlewaretoken") return false;
      return ["file", "submit", "button", "reset", "password"].indexOf(el.type) === -1;
    });
  }

  function saveDraft(form) {
    var data = draftFields(form).map(function (el) {
      if (el.type === "checkbox" || el.type === "radio") return [el.name, el.value, el.checked];
      return [el.name, el.value, null];
    });
    try {
      sessionStorage.setItem(DRAFT_PREFIX + form.dataset.draft, JSON.stringify({ at: Date.now(), data: data }));
    } catch (e) { /* storage full or disabled: nothing to keep */ }
  }

  function restoreDraft(form) {
    var raw = null;
    try { raw = sessionStorage.getItem(DRAFT_PREFIX + form.dataset.draft); } catch (e) { return; }
    if (!raw) return;
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { return; }
    var fields = draftFields(form);
    var textIndex = {};
    saved.data.forEach(function (row) {
      var name = row[0], value = row[1], checked = row[2];
      if (checked !== null) {
        fields.forEach(function (el) {
          if (el.name === name && el.value === value && (el.type === "checkbox" || el.type === "radio")) el.checked = checked;
        });
        return;
      }
      var same = fields.filter(function (el) { return el.name === name && el.type !== "checkbox" && el.type !== "radio"; });
      var i = textIndex[name] || 0;
      if (same[i]) same[i].value = value;
      textIndex[name] = i + 1;
    });
    form.querySelectorAll("[data-signature]").forEach(function (box) { if (box.restore) box.restore(); });
    var note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    note.textContent = text("restored", "What you typed earlier was restored (it was not saved yet).") + " ";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button";
    discard.textContent = text("discard", "Discard");
    discard.addEventListener("click", function () {
      try { sessionStorage.removeItem(DRAFT_PREFIX + form.dataset.draft); } catch (e) { /* ignore */ }
      window.location.reload();
    });
    note.appendChild(discard);
    form.insertBefore(note, form.firstChild);
  }

  function initDraft(form) {
    if (form.dataset.draftBound !== "1") restoreDraft(form);
    var timer = null;
    function later() { clearTimeout(timer); timer = setTimeout(function () { saveDraft(form); }, 300); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", function (ev) {
      saveDraft(form);
      // Offline: keep the page and what was typed instead of leaving for the browser's error page.
      if (navigator.onLine === false) {
        ev.preventDefault();
        ev.stopImmediatePropagation();
        netWarning(text("offline", "No connection: nothing was sent. What you typed is kept; send again when the network is back."));
      }
    });
    if (form.dataset.draftBound === "1") saveDraft(form);
  }

  /* ---------- the network: say when something could not be sent ---------- */

  function netWarning(text) {
    var box = document.querySelector("[data-net-error]");
    if (!box) {
      box = document.createElement("p");
      box.setAttribute("data-net-error", "");
      box.setAttribute("role", "alert");
      box.className = "draft-note net-error";
      var main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    box.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:sendError", function () {
    netWarning(text("sendError", "No connection: nothing was saved. Try again when the network is back."));
  });
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail && ev.detail.xhr;
    netWarning(text("serverError", "The server refused or failed") + (xhr ? " (" + xhr.status + ")" : "") + ". " +
      text("reload", "Reload the page and try again."));
  });
  document.addEventListener("htmx:afterSwap", function () {
    var box = document.querySelector("[data-net-error]");
    if (box) box.remove();
  });

  /* ---------- start ---------- */

  function init() {
    document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
      try { sessionStorage.removeItem(DRAFT_PREFIX + el.getAttribute("data-draft-clear")); } catch (e) { /* ignore */ }
    });
    document.querySelectorAll("[data-signature]").forEach(initSignature);
    document.querySelectorAll("input[type=file][data-downscale]").forEach(initPhotos);
    document.querySelectorAll("form[data-draft]").forEach(initDraft);
    document.documentElement.classList.add("field-js");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

