/* Opens the record's IIIF manifest in Mirador. Without Mirador (not installed, blocked, no
   JavaScript) nothing happens here and the page keeps its plain list of images. */
(function () {
  "use strict";
  var frame = document.getElementById("iiif-viewer");
  if (!frame || typeof window.Mirador === "undefined") {
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
})();
