// The rb-lint page: pick or drop files, POST them to /v1/lint, list the findings, show each in its source.
// Plain DOM code with no dependencies. Everything shown comes from the user's files or the server's report,
// so text is only ever set with textContent (never innerHTML), and there are no inline handlers (CSP-safe).
"use strict";

(function () {
  const SEVERITIES = ["error", "warning", "info"];
  const SEVERITY_TITLES = { error: "Errors", warning: "Warnings", info: "Info" };
  const BINARY = /\.(nii|nii\.gz|gz|dcm|dicom|png|jpe?g|zip|npy|npz|nrrd|mha|mhd|raw)$/i;
  const MAX_PER_RULE = 500; // findings listed per rule; the downloads have every one
  const WINDOW_LINES = 400; // source lines shown on each side of the finding's line
  const MAX_LINE_CHARS = 2000; // characters of one source line shown (minified JSON has huge lines)

  const state = {
    files: new Map(), // bundle path -> File
    linted: [], // [path, File] pairs of the report shown (the downloads re-send exactly these)
    report: null,
    reportText: "",
    texts: new Map(), // bundle path -> Promise<string[]> (its lines)
    selected: null,
    downloadUrl: null,
  };

  const $ = (id) => document.getElementById(id);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function number(count) {
    return Number(count).toLocaleString("en-US");
  }

  function errorText(error) {
    return String(error && error.message ? error.message : error);
  }

  function plural(count, word) {
    return `${number(count)} ${word}${count === 1 ? "" : "s"}`;
  }

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  // -- messages -------------------------------------------------------------------------------------

  function showMessage(title, detail, kind) {
    const box = $("message");
    box.replaceChildren(element("strong", null, title));
    if (detail) box.append(" ", messageNode("", detail));
    box.className = `message ${kind || "error"}`;
    box.hidden = false;
  }

  function clearMessage() {
    $("message").hidden = true;
    $("message").replaceChildren();
  }

  // -- choosing files -------------------------------------------------------------------------------

  function bundlePath(file, fallback) {
    return fallback || file.webkitRelativePath || file.name;
  }

  // Hidden files and folders inside a chosen folder (.git, .DS_Store, caches) are not data: left out.
  function hidden(path) {
    return path.split("/").some((part) => part.startsWith("."));
  }

  function addFiles(entries, fromFolder) {
    for (const [path, file] of entries) if (!fromFolder || !hidden(path)) state.files.set(path, file);
    renderPicked();
  }

  function renderPicked() {
    const list = $("picked");
    const paths = [...state.files.keys()].sort();
    list.replaceChildren(
      ...paths.map((path) => {
        const item = element("li");
        item.append(element("span", "picked-name", path));
        item.append(element("span", "picked-size", formatSize(state.files.get(path).size)));
        item.title = path;
        return item;
      }),
    );
    $("picked-count").textContent = String(paths.length);
    $("lint").disabled = paths.length === 0;
    $("clear").disabled = paths.length === 0;
  }

  function onPicked(event) {
    const input = event.target;
    addFiles([...input.files].map((file) => [bundlePath(file), file]), input.id === "folder");
    input.value = ""; // picking the same file again is a change too
  }

  // A dropped folder arrives as a FileSystemDirectoryEntry: walk it (readEntries answers in batches).
  function readDirectory(directory) {
    const reader = directory.createReader();
    const all = [];
    return new Promise((resolve, reject) => {
      const next = () =>
        reader.readEntries((batch) => {
          if (batch.length === 0) resolve(all);
          else {
            all.push(...batch);
            next();
          }
        }, reject);
      next();
    });
  }

  async function entryFiles(entry) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      return [[entry.fullPath.replace(/^\/+/, ""), file]];
    }
    if (!entry.isDirectory) return [];
    const found = [];
    for (const child of await readDirectory(entry)) found.push(...(await entryFiles(child)));
    return found;
  }

  async function onDrop(event) {
    event.preventDefault();
    $("dropzone").classList.remove("over");
    const items = [...(event.dataTransfer.items || [])];
    const entries = items.map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
    try {
      if (entries.length && entries.every((entry) => entry)) {
        const found = [];
        for (const entry of entries) found.push(...(await entryFiles(entry)));
        addFiles(found, entries.some((entry) => entry.isDirectory));
      } else {
        addFiles([...event.dataTransfer.files].map((file) => [bundlePath(file), file]));
      }
    } catch (error) {
      showMessage("Could not read the dropped files.", errorText(error));
    }
  }

  function clearFiles() {
    state.files.clear();
    renderPicked();
  }

  // -- talking to the server ------------------------------------------------------------------------

  function headers() {
    const token = $("token").value.trim();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  async function problemOf(response) {
    let title = `The server answered ${response.status} ${response.statusText}`.trim();
    let detail = "";
    try {
      const body = JSON.parse(await response.text());
      if (body && typeof body === "object") {
        if (body.title) title = String(body.title);
        if (body.detail) detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
        if (Array.isArray(body.errors) && body.errors.length) {
          const shown = body.errors.slice(0, 5).map(String).join("; ");
          detail += ` ${shown}${body.errors.length > 5 ? ` (and ${body.errors.length - 5} more)` : ""}`;
        }
      }
    } catch (ignored) {
      // not problem details: the status line says enough
    }
    const retry = response.headers.get("Retry-After");
    if (response.status === 429 && retry) detail += ` The server is busy: try again in ${retry} s.`;
    return { title, detail: detail.trim(), status: response.status };
  }

  async function post(pairs, format) {
    const form = new FormData();
    for (const [path, file] of pairs) form.append("files", file, path);
    let response;
    try {
      response = await fetch(`/v1/lint?format=${encodeURIComponent(format)}`, {
        method: "POST",
        body: form,
        headers: headers(),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      throw { title: "The server could not be reached.", detail: errorText(error) };
    }
    if (!response.ok) throw await problemOf(response);
    return response.text();
  }

  function reportProblem(problem) {
    let detail = problem.detail ? String(problem.detail).replace(/([^.!?])$/, "$1.") : "";
    if (problem.status === 401) detail += " Enter the server's access token above and check again.";
    showMessage(problem.title || "Something went wrong.", detail.trim());
    if (problem.status === 401) $("token").focus();
  }

  async function lint() {
    const pairs = [...state.files.entries()];
    if (pairs.length === 0) return;
    clearMessage();
    const button = $("lint");
    button.disabled = true;
    button.textContent = "Checking…";
    $("findings").setAttribute("aria-busy", "true");
    $("summary").textContent = `Checking ${plural(pairs.length, "file")}…`;
    $("summary").className = "summary busy";
    try {
      const text = await post(pairs, "json");
      const report = JSON.parse(text);
      if (!report || !Array.isArray(report.findings)) throw { title: "The server's answer is not a report." };
      state.linted = pairs;
      state.report = report;
      state.reportText = text;
      state.texts = new Map();
      renderReport();
    } catch (problem) {
      $("summary").textContent = "The check did not run.";
      $("summary").className = "summary";
      reportProblem(problem instanceof SyntaxError ? { title: "The server's answer is not JSON." } : problem);
    } finally {
      button.textContent = "Check files";
      button.disabled = state.files.size === 0;
      $("findings").setAttribute("aria-busy", "false");
    }
  }

  // -- the findings ---------------------------------------------------------------------------------

  function location(finding) {
    let where = finding.path || "(no file)";
    if (finding.line) where += `:${finding.line}`;
    if (finding.line && finding.column) where += `:${finding.column}`;
    return where;
  }

  function grouped(findings) {
    const groups = new Map(SEVERITIES.map((severity) => [severity, new Map()]));
    findings.forEach((finding, index) => {
      const severity = groups.has(finding.severity) ? finding.severity : "info";
      const rules = groups.get(severity);
      if (!rules.has(finding.code)) rules.set(finding.code, { name: finding.name, items: [] });
      rules.get(finding.code).items.push(index);
    });
    return groups;
  }

  function renderSummary(report) {
    const findings = report.findings;
    const counts = { error: 0, warning: 0, info: 0 };
    for (const finding of findings) {
      counts[Object.hasOwn(counts, finding.severity) ? finding.severity : "info"] += 1;
    }
    for (const severity of SEVERITIES) $(`count-${severity}`).textContent = number(counts[severity]);
    const summary = report.summary || {};
    const files = Number.isInteger(summary.files) ? summary.files : state.linted.length;
    $("summary").textContent = findings.length
      ? `${plural(findings.length, "finding")} in ${plural(files, "file")} checked: ` +
        `${plural(counts.error, "error")}, ${plural(counts.warning, "warning")}, ${number(counts.info)} info.`
      : `No findings: ${plural(files, "file")} checked, nothing to fix.`;
    $("summary").className = `summary ${counts.error ? "has-errors" : counts.warning ? "has-warnings" : "clean"}`;
  }

  function renderRuleFilter(report) {
    const select = $("rule-filter");
    const rules = new Map();
    for (const finding of report.findings) {
      const rule = rules.get(finding.code) || { name: finding.name, count: 0 };
      rule.count += 1;
      rules.set(finding.code, rule);
    }
    const options = [...rules.keys()].sort().map((code) => {
      const rule = rules.get(code);
      const option = element("option", null, `${code} ${rule.name} (${number(rule.count)})`);
      option.value = code;
      return option;
    });
    select.replaceChildren(Object.assign(element("option", null, "All rules"), { value: "" }), ...options);
  }

  // Messages quote names and values in `backticks`: show those as code (still text, never markup).
  function messageNode(className, message) {
    const node = element("span", className);
    String(message)
      .split("`")
      .forEach((part, i, parts) => {
        if (i % 2 === 1 && i < parts.length - 1) node.append(element("code", null, part));
        else node.append(i % 2 === 1 ? `\`${part}` : part);
      });
    return node;
  }

  function findingButton(finding, index) {
    const button = element("button", "finding");
    button.type = "button";
    button.dataset.index = String(index);
    button.append(element("span", "finding-where", location(finding)));
    button.append(messageNode("finding-message", finding.message));
    return button;
  }

  function renderFindings(report) {
    const container = $("findings");
    const sections = [];
    for (const [severity, rules] of grouped(report.findings)) {
      if (rules.size === 0) continue;
      const section = element("section", `severity-group ${severity}`);
      section.dataset.severity = severity;
      const total = [...rules.values()].reduce((sum, rule) => sum + rule.items.length, 0);
      const heading = element("h3", "severity-title", SEVERITY_TITLES[severity]);
      heading.append(element("span", "count", number(total)));
      section.append(heading);
      for (const code of [...rules.keys()].sort()) {
        const rule = rules.get(code);
        const group = element("div", "rule-group");
        group.dataset.code = code;
        const title = element("h4", "rule-title");
        title.append(element("span", `rule-code ${severity}`, code), element("span", "rule-name", rule.name));
        title.append(element("span", "count", number(rule.items.length)));
        const list = element("ul", "finding-list");
        for (const index of rule.items.slice(0, MAX_PER_RULE)) {
          const item = element("li");
          item.append(findingButton(report.findings[index], index));
          list.append(item);
        }
        group.append(title, list);
        if (rule.items.length > MAX_PER_RULE) {
          const more = rule.items.length - MAX_PER_RULE;
          const note = `… and ${number(more)} more: download the report to see every one.`;
          group.append(element("p", "more", note));
        }
        section.append(group);
      }
      sections.push(section);
    }
    if (sections.length === 0) sections.push(element("p", "empty", "Nothing to report."));
    container.replaceChildren(...sections);
  }

  function renderReport() {
    const report = state.report;
    state.selected = null;
    renderSummary(report);
    renderRuleFilter(report);
    renderFindings(report);
    resetSource("", report.findings.length ? "Select a finding to see its line here." : "");
    $("filters").disabled = report.findings.length === 0;
    $("download-sarif").disabled = false;
    $("download-json").disabled = false;
    applyFilters();
  }

  function applyFilters() {
    const boxes = [...document.querySelectorAll('input[name="severity"]')];
    const shown = new Set(boxes.filter((box) => box.checked).map((box) => box.value));
    const rule = $("rule-filter").value;
    for (const section of document.querySelectorAll(".severity-group")) {
      let visible = 0;
      for (const group of section.querySelectorAll(".rule-group")) {
        const show = shown.has(section.dataset.severity) && (!rule || group.dataset.code === rule);
        group.hidden = !show;
        if (show) visible += 1;
      }
      section.hidden = visible === 0;
    }
  }

  // -- the source view ------------------------------------------------------------------------------

  function resetSource(text, placeholder) {
    $("source-file").textContent = text;
    $("source-pointer").hidden = true;
    $("source-message").hidden = true;
    $("source-view").replaceChildren();
    if (placeholder) $("source-view").append(element("p", "source-note", placeholder));
  }

  // The lines of a linted file, read once in the browser (the server never sends files back).
  function readLines(path) {
    if (!state.texts.has(path)) {
      const pair = state.linted.find(([linted]) => linted === path);
      if (!pair) return null;
      state.texts.set(
        path,
        new Promise((resolve, reject) => {
          const reader = new FileReader();
          reader.onload = () => resolve(String(reader.result).split("\n"));
          reader.onerror = () => reject(reader.error);
          reader.readAsText(pair[1]);
        }),
      );
    }
    return state.texts.get(path);
  }

  // The end of the JSON token that starts at `start`: a whole string, or a bare value up to a delimiter.
  function tokenEnd(chars, start) {
    if (chars[start] === '"') {
      for (let i = start + 1; i < chars.length; i += 1) {
        if (chars[i] === "\\") i += 1;
        else if (chars[i] === '"') return i + 1;
      }
      return chars.length;
    }
    if (chars[start] === "{" || chars[start] === "[") return start + 1;
    let end = start;
    while (end < chars.length && !/[\s,:\]}]/.test(chars[end])) end += 1;
    return Math.max(end, start + 1);
  }

  function lineNode(number, text, column) {
    const row = element("div", "line");
    row.dataset.line = String(number);
    row.append(element("span", "ln", number));
    const code = element("span", "code");
    const chars = Array.from(text); // columns count code points, as the report does
    let from = 0;
    let to = chars.length;
    if (chars.length > MAX_LINE_CHARS) {
      const centre = column ? column - 1 : 0;
      from = Math.max(0, Math.min(centre - MAX_LINE_CHARS / 2, chars.length - MAX_LINE_CHARS));
      to = from + MAX_LINE_CHARS;
    }
    const piece = (a, b) => chars.slice(a, b).join("");
    if (from > 0) code.append(element("span", "elided", "…"));
    if (column && column - 1 >= from && column - 1 < to) {
      const start = column - 1;
      const end = Math.min(tokenEnd(chars, start), to);
      code.append(piece(from, start), element("mark", "pointer-mark", piece(start, end)), piece(end, to));
    } else {
      code.append(piece(from, to));
    }
    if (to < chars.length) code.append(element("span", "elided", "…"));
    row.append(code);
    return row;
  }

  function renderSource(lines, finding) {
    const target = finding.line && finding.line <= lines.length ? finding.line : null;
    const first = target ? Math.max(1, target - WINDOW_LINES) : 1;
    const last = Math.min(lines.length, (target || 1) + WINDOW_LINES);
    const view = $("source-view");
    const rows = [];
    const elided = (count, where) => element("div", "elided-lines", `… ${plural(count, "line")} ${where}`);
    if (first > 1) rows.push(elided(first - 1, "above"));
    for (let number = first; number <= last; number += 1) {
      const text = lines[number - 1].replace(/\r$/, "");
      const row = lineNode(number, text, number === target ? finding.column : null);
      if (number === target) {
        row.classList.add("hit", finding.severity);
        row.setAttribute("aria-current", "true");
      }
      rows.push(row);
    }
    if (last < lines.length) rows.push(elided(lines.length - last, "below"));
    view.replaceChildren(...rows);
    const hit = view.querySelector(".line.hit");
    if (hit) view.scrollTop = Math.max(0, hit.offsetTop - view.clientHeight / 2 + hit.offsetHeight / 2);
    else view.scrollTop = 0;
  }

  async function showFinding(index) {
    const finding = state.report.findings[index];
    state.selected = index;
    for (const button of document.querySelectorAll(".finding.selected")) {
      button.classList.remove("selected");
      button.removeAttribute("aria-current");
    }
    const button = document.querySelector(`.finding[data-index="${index}"]`);
    if (button) {
      button.classList.add("selected");
      button.setAttribute("aria-current", "true");
    }
    resetSource(location(finding));
    if (finding.pointer !== null && finding.pointer !== undefined) {
      const pointer = element("code", null, finding.pointer || "(the whole document)");
      $("source-pointer").replaceChildren("JSON pointer ", pointer);
      $("source-pointer").hidden = false;
    }
    const message = $("source-message");
    message.replaceChildren(
      element("span", `rule-code ${finding.severity}`, finding.code),
      " ",
      messageNode("", finding.message),
    );
    message.hidden = false;
    const view = $("source-view");
    if (!finding.path) return view.append(element("p", "source-note", "This finding is not about one file."));
    if (BINARY.test(finding.path)) {
      return view.append(element("p", "source-note", "A binary file (an image or mask): no source to show."));
    }
    const pending = readLines(finding.path);
    if (!pending) return view.append(element("p", "source-note", "This file is not among the files sent."));
    try {
      const lines = await pending;
      if (state.selected === index) renderSource(lines, finding);
    } catch (error) {
      view.append(element("p", "source-note", "The file could not be read in the browser."));
    }
  }

  function onFindingClick(event) {
    const button = event.target.closest(".finding");
    if (button) showFinding(Number(button.dataset.index));
  }

  // -- downloads ------------------------------------------------------------------------------------

  function save(text, type, name) {
    if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
    state.downloadUrl = URL.createObjectURL(new Blob([text], { type }));
    const link = $("download-link");
    link.href = state.downloadUrl;
    link.download = name;
    link.click();
  }

  async function downloadSarif() {
    const button = $("download-sarif");
    button.disabled = true;
    clearMessage();
    try {
      save(await post(state.linted, "sarif"), "application/sarif+json", "rb-lint.sarif");
    } catch (problem) {
      reportProblem(problem);
    } finally {
      button.disabled = !state.report;
    }
  }

  function downloadJson() {
    if (state.report) save(state.reportText, "application/json", "rb-lint.json");
  }

  // -- wiring ---------------------------------------------------------------------------------------

  function start() {
    $("files").addEventListener("change", onPicked);
    $("folder").addEventListener("change", onPicked);
    $("clear").addEventListener("click", clearFiles);
    $("lint").addEventListener("click", lint);
    $("findings").addEventListener("click", onFindingClick);
    $("rule-filter").addEventListener("change", applyFilters);
    for (const box of document.querySelectorAll('input[name="severity"]')) {
      box.addEventListener("change", applyFilters);
    }
    $("download-sarif").addEventListener("click", downloadSarif);
    $("download-json").addEventListener("click", downloadJson);
    const zone = $("dropzone");
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", onDrop);
    // A file dropped beside the zone must not make the browser navigate away from the page.
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
    renderPicked();
  }

  start();
})();
