/* Opens the record's IIIF manifest in Mirador once the reader reaches for the viewer's frame
   (pointer, touch, wheel or keyboard focus). Mirador is 2.3 MB of script: running it as the page
   loads would hold the page up for seconds, so until then the frame shows the plain images, and
   the bundle is only prefetched. Without Mirador (not installed, blocked, no JavaScript) the page
   keeps its plain list of images. */
(function () {
  "use strict";
  var frame = document.getElementById("iiif-viewer");
  if (!frame || !frame.getAttribute("data-script")) {
    return;
  }
  var INTENT = ["pointerenter", "pointerdown", "touchstart", "wheel", "focusin"];
  var started = false;

  function start() {
    if (started) {
      return;
    }
    started = true;
    INTENT.forEach(function (name) {
      frame.removeEventListener(name, start);
    });
    if (typeof window.Mirador !== "undefined") {
      open();
      return;
    }
    var script = document.createElement("script");
    script.src = frame.getAttribute("data-script");
    script.onload = open;
    document.head.appendChild(script);
  }

  function open() {
    if (typeof window.Mirador === "undefined") {
      return;
    }
    var several = Number(frame.getAttribute("data-canvases")) > 1;
    frame.hidden = false;  // Mirador sizes itself to the frame, so show it first
    window.Mirador.viewer({
      id: frame.id,
      language: frame.getAttribute("data-language"),
      windows: [{
        manifestId: frame.getAttribute("data-manifest"),
        thumbnailNavigationPosition: several ? "far-bottom" : "off"
      }],
      window: {
        allowClose: false,
        allowMaximize: false,
        allowTopMenuButton: true,
        defaultSideBarPanel: "info",
        sideBarOpenByDefault: false,
        hideWindowTitle: true
      },
      workspace: {
        allowNewWindows: false,
        isWorkspaceAddVisible: false,
        showZoomControls: true,
        type: "mosaic"
      },
      workspaceControlPanel: { enabled: false }
    });
    var images = document.getElementById("record-images");
    if (images) {
      images.hidden = true;
    }
    fitIntoPage();
  }

  /* Mirador is made to be a page of its own: its workspace is a <main> and it has an <h1>.
     Inside the record page those would be a second main landmark within the page's own and a
     second top-level heading, so screen readers are told they are a region and a sub-heading. */
  function fitIntoPage() {
    function demote() {
      frame.querySelectorAll("main:not([role])").forEach(function (main) {
        main.setAttribute("role", "region");
      });
      frame.querySelectorAll("h1:not([aria-level])").forEach(function (heading) {
        heading.setAttribute("aria-level", "2");
      });
    }
    demote();
    new MutationObserver(demote).observe(frame, { childList: true, subtree: true });
  }

  INTENT.forEach(function (name) {
    frame.addEventListener(name, start, { passive: true });
  });
})();
