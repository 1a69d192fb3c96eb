/* Where `shadowcast run` finds the player page (web/) when neither --web-root
 * nor $SHADOWCAST_WEB_ROOT names it. Nothing about the source tree is needed
 * by an installed binary: it looks beside itself (/proc/self/exe), at the path
 * `cmake --install` put the web files relative to the binary
 * (<prefix>/bin/shadowcast -> <prefix>/share/shadowcast/web). Only the binary
 * the build tree made also looks in the source tree's web/, so a build-tree
 * run works without installing and an installed binary never serves a
 * developer's checkout by accident. */
#ifndef SC_SERVER_WEB_ROOT_H
#define SC_SERVER_WEB_ROOT_H
#include <stdbool.h>
#include <stddef.h>

/* The web root into out (cap bytes). false when neither place has an
 * index.html: tried then lists each place looked at and why it was not used
 * (one line, for an error message). */
bool sc_web_root_find(char *out, size_t cap, char *tried, size_t tried_cap);

#endif
