/* Front desk: intake page helpers (unit choice, defects formset, category filter, emergency path,
   repeat warning, read-back dialog). Plain JS; htmx does the server round trips. */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const i18n = (() => { try { return JSON.parse($("#readback-i18n").textContent); } catch (e) { return {}; } })();

  function text(el) { return el ? (el.value || "").trim() : ""; }
  function selectedText(sel) { return sel && sel.selectedIndex >= 0 && sel.value ? sel.options[sel.selectedIndex].text : ""; }

  // --- unit card -----------------------------------------------------------------------------
  function currentCard() { return $("[data-unit-card]"); }
  document.addEventListener("htmx:afterSwap", (ev) => {
    if (ev.detail.target && ev.detail.target.id === "unit-card") {
      const card = currentCard();
      const unit = $("#id_unit");
      if (card && unit) unit.value = card.dataset.unitId;
      const results = $("#unit-results");
      if (results) results.innerHTML = "";
      const errors = $("#unit_errors");
      if (errors) errors.remove();
      $$("[data-defect]").forEach(checkRepeat);
      // The chosen result button is gone: keep the keyboard in the card (its first control), not on the page body.
      const next = card && $("button, a[href], input, select, textarea", card);
      if (next) next.focus();
    }
  });
  document.addEventListener("click", (ev) => {
    const fill = ev.target.closest("[data-fill-reporter]");
    if (fill) {
      const name = $("#id_reporter_name"), phone = $("#id_contact_phone");
      if (name) name.value = fill.dataset.name;
      if (phone) phone.value = fill.dataset.phone;
    }
  });

  // --- defects formset -------------------------------------------------------------------------
  const total = () => $("#id_defects-TOTAL_FORMS");
  function renumber() {
    $$("#defects [data-defect]").forEach((fs, i) => {
      $$("[name],[id],[for]", fs).forEach((el) => {
        ["name", "id", "for"].forEach((attr) => {
          const v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/defects-(\d+|__prefix__)-/, "defects-" + i + "-"));
        });
      });
      const no = $("[data-defect-no]", fs);
      if (no) no.textContent = String(i + 1);
    });
    if (total()) total().value = String($$("#defects [data-defect]").length);
  }
  const add = $("#add-defect");
  if (add) {
    add.addEventListener("click", () => {
      const tpl = $("#defect-template");
      const n = $$("#defects [data-defect]").length;
      const html = tpl.innerHTML.replace(/__prefix__/g, String(n)).replace(/__no__/g, String(n + 1));
      $("#defects").insertAdjacentHTML("beforeend", html);
      renumber();
      const added = $$("#defects [data-defect]").pop();
      const first = added && $("select", added);
      if (first) first.focus();
    });
  }
  document.addEventListener("click", (ev) => {
    const rm = ev.target.closest("[data-remove-defect]");
    if (rm) { rm.closest("[data-defect]").remove(); renumber(); }
  });

  // --- category filter, repeat warning ------------------------------------------------------------
  document.addEventListener("input", (ev) => {
    if (!ev.target.matches("[data-category-filter]")) return;
    const needle = ev.target.value.trim().toLowerCase();
    const select = $("select", ev.target.closest(".category-field"));
    let firstMatch = null;
    $$("option", select).forEach((opt) => {
      const match = !needle || !opt.value || opt.text.toLowerCase().includes(needle);
      opt.hidden = !match;
      if (match && opt.value && !firstMatch) firstMatch = opt;
    });
    // Nothing chosen yet (the empty "---------" choice) or the choice filtered away: take the first match,
    // so typing "防水" and Tab leaves a category chosen.
    const current = select.options[select.selectedIndex];
    if (needle && firstMatch && (!current || !current.value || current.hidden)) {
      select.value = firstMatch.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  function checkRepeat(fs) {
    const warn = $("[data-repeat-warning]", fs);
    const loc = $("select[name$='-location']", fs);
    if (!warn || !loc) return;
    const hits = loc.value ? $$("[data-ticket-location='" + loc.value + "']") : [];
    warn.hidden = hits.length === 0;
    warn.textContent = hits.length ? (i18n.repeat || "Possible repeat") + ": " + hits.map((h) => h.dataset.ticketNumber).join(", ") : "";
  }
  document.addEventListener("change", (ev) => {
    if (ev.target.matches("select[name$='-location']")) checkRepeat(ev.target.closest("[data-defect]"));
    if (ev.target.id === "id_is_emergency") { const p = $("#emergency-path"); if (p) p.hidden = !ev.target.checked; }
  });

  // --- read-back -------------------------------------------------------------------------------
  const form = $("#intake-form");
  const dialog = $("#readback-dialog");
  function esc(s) { const d = document.createElement("div"); d.textContent = s; return d.innerHTML; }
  function summary() {
    const card = currentCard();
    const rows = [];
    const line = (label, value) => rows.push("<dt>" + esc(label) + "</dt><dd>" + esc(value || "—") + "</dd>");
    line(i18n.unit || "Unit", card ? card.dataset.unitLabel : (i18n.noUnit || "—"));
    line(i18n.reporter || "Reporter", text($("#id_reporter_name")) + " (" + selectedText($("#id_reporter_relation")) + ")");
    line(i18n.phone || "Phone", text($("#id_contact_phone")));
    line(i18n.channel || "Channel", selectedText($("#id_channel")));
    line(i18n.expected || "Expected", [text($("#id_expected_at")).replace("T", " "), text($("#id_expected_note"))].filter(Boolean).join(" · "));
    let html = "";
    if ($("#id_is_emergency") && $("#id_is_emergency").checked) html += '<p class="badge danger">' + esc(i18n.emergency || "EMERGENCY") + "</p>";
    html += "<dl class='readback'>" + rows.join("") + "</dl><ol class='readback-defects'>";
    $$("#defects [data-defect]").forEach((fs) => {
      const loc = selectedText($("select[name$='-location']", fs));
      const detail = text($("input[name$='-location_detail']", fs));
      const part = text($("input[name$='-part']", fs));
      const cat = selectedText($("select[name$='-category']", fs));
      const desc = text($("textarea[name$='-description']", fs));
      const files = $("input[type=file]", fs);
      const n = files && files.files ? files.files.length : 0;
      html += "<li><strong>" + esc([loc, detail, part].filter(Boolean).join(" · ")) + "</strong> — " + esc(cat) + "<br>" + esc(desc) +
        (n ? "<br><span class='muted'>" + n + " " + esc(i18n.photos || "photos") + "</span>" : "") + "</li>";
    });
    return html + "</ol>";
  }
  if (form && dialog) {
    $("#read-back").addEventListener("click", (ev) => {
      ev.preventDefault();
      $("#readback-summary").innerHTML = summary();
      dialog.showModal();
      $("#readback-confirm").focus();
    });
    $("#readback-back").addEventListener("click", () => dialog.close());
    form.addEventListener("submit", () => { const b = $("#readback-confirm"); if (b) b.disabled = false; });
  }
})();

/* htmx does not swap 4xx answers: show the service's message next to the button that was pressed. */
document.addEventListener("htmx:responseError", (ev) => {
  const xhr = ev.detail.xhr;
  const host = ev.detail.elt.closest("form, td, li, div") || ev.detail.elt;
  let box = host.querySelector(":scope > .htmx-error");
  if (!box) {
    box = document.createElement("div");
    box.className = "htmx-error form-errors";
    box.setAttribute("role", "alert");
    host.appendChild(box);
  }
  const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const msg = doc.querySelector("[data-status], [role=alert] p, main p");
  box.textContent = msg ? msg.textContent.trim() : xhr.status + " " + xhr.statusText;
});
