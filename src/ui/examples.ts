// Starter workspaces. Every base image is `busybox`: the one image bundled
// with Berth (the guest is i686, and there is no registry access by default).

export interface ExampleFile {
  path: string;
  text: string;
  mode?: number;
}

export interface Example {
  id: string;
  title: string;
  summary: string;
  files: ExampleFile[];
  /** The file to open first. */
  open: string;
}

const layeredApp: Example = {
  id: "layered-app",
  title: "Layered app",
  summary: "A static site served by busybox httpd: each instruction is a layer.",
  open: "Dockerfile",
  files: [
    {
      path: "Dockerfile",
      text: `# A small static site served by busybox's httpd.
# Every instruction below makes one layer; see them with
#   docker history site
FROM busybox

WORKDIR /app

# The site itself.
COPY site/ ./site/

# The start script, made executable in its own layer.
COPY serve.sh ./
RUN chmod +x serve.sh

ENV PORT=8080
EXPOSE 8080
CMD ["./serve.sh"]
`,
    },
    {
      path: "serve.sh",
      mode: 0o755,
      text: `#!/bin/sh
# Serve /app/site in the foreground on $PORT.
echo "serving /app/site on port \${PORT:-8080}"
exec httpd -f -v -p "\${PORT:-8080}" -h /app/site
`,
    },
    {
      path: "site/index.html",
      text: `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Hello from a container</title>
    <link rel="stylesheet" href="style.css">
  </head>
  <body>
    <h1>Hello from a container</h1>
    <p>This page is served by busybox httpd, inside Berth.</p>
  </body>
</html>
`,
    },
    {
      path: "site/style.css",
      text: `body { font-family: sans-serif; margin: 3rem; }
h1 { color: #1d63ed; }
`,
    },
    {
      path: "README.md",
      text: `# Layered app

    docker build -t site .
    docker history site
    docker run -d --name site -p 8080:8080 site
    docker logs site

Change \`site/index.html\` and build again: only the layers from
\`COPY site/\` on are rebuilt.
`,
    },
  ],
};

const cacheOrder: Example = {
  id: "cache-order",
  title: "Cache order",
  summary: "Two Dockerfiles side by side: copy only what a slow step needs, before it.",
  open: "Dockerfile.slow",
  files: [
    {
      path: "Dockerfile.slow",
      text: `# Slow to rebuild: COPY . . comes before the slow step, so ANY change
# in the workspace (even to app.sh) invalidates it and it runs again.
FROM busybox
WORKDIR /src

COPY . .

# Pretend this is "npm install": slow, and it only needs deps.txt.
RUN echo "installing dependencies..." && sleep 5 && sort deps.txt > /deps.lock

CMD ["sh", "app.sh"]
`,
    },
    {
      path: "Dockerfile.fast",
      text: `# Fast to rebuild: the slow step only sees deps.txt, copied on its own
# first. Editing app.sh reuses the cached install; only the last COPY runs.
FROM busybox
WORKDIR /src

COPY deps.txt .
RUN echo "installing dependencies..." && sleep 5 && sort deps.txt > /deps.lock

COPY . .

CMD ["sh", "app.sh"]
`,
    },
    {
      path: "deps.txt",
      text: `zlib
busybox
musl
`,
    },
    {
      path: "app.sh",
      text: `#!/bin/sh
echo "app running with these dependencies:"
cat /deps.lock
`,
    },
    {
      path: "README.md",
      text: `# Cache order

Build both, change \`app.sh\`, then build both again:

    docker build -f Dockerfile.slow -t slow .
    docker build -f Dockerfile.fast -t fast .
    # edit app.sh
    docker build -f Dockerfile.slow -t slow .   # sleeps again
    docker build -f Dockerfile.fast -t fast .   # the slow step is CACHED

The cache key of a COPY is the content of what it copies; every later step
depends on it.
`,
    },
  ],
};

const multiStage: Example = {
  id: "multi-stage",
  title: "Multi-stage",
  summary: "A build stage makes a file; the final image copies only that file.",
  open: "Dockerfile",
  files: [
    {
      path: "Dockerfile",
      text: `# Stage 1: "compile" – here a shell script that writes a report.
FROM busybox AS build
WORKDIR /work
COPY build.sh names.txt ./
RUN sh build.sh > /work/report.txt

# Stage 2: the final image gets the result, not the build tools or inputs.
FROM busybox
COPY --from=build /work/report.txt /report.txt
CMD ["cat", "/report.txt"]
`,
    },
    {
      path: "build.sh",
      text: `#!/bin/sh
# Turns names.txt into a numbered, sorted report.
echo "Report built on $(date -u +%Y-%m-%d)"
sort names.txt | awk '{ printf "%2d. %s\\n", NR, $0 }'
`,
    },
    {
      path: "names.txt",
      text: `whale
container
layer
volume
`,
    },
    {
      path: "README.md",
      text: `# Multi-stage

    docker build -t report .
    docker run --rm report
    docker build --target build -t report-build .

The final image holds /report.txt only; build.sh and names.txt stay in
the build stage.
`,
    },
  ],
};

const volumeOutlives: Example = {
  id: "volume",
  title: "Volume outlives container",
  summary: "A notes app that writes to a volume; the notes survive the container.",
  open: "README.md",
  files: [
    {
      path: "Dockerfile",
      text: `FROM busybox
COPY notes.sh /usr/local/bin/notes
RUN chmod +x /usr/local/bin/notes
# Data written here lives in a volume, not in the container's layer.
VOLUME /data
ENTRYPOINT ["notes"]
CMD ["list"]
`,
    },
    {
      path: "notes.sh",
      mode: 0o755,
      text: `#!/bin/sh
# notes add TEXT | notes list
case "$1" in
  add) shift; echo "$(date -u +%H:%M:%S) $*" >> /data/notes.txt; echo "saved" ;;
  list) cat /data/notes.txt 2>/dev/null || echo "(no notes yet)" ;;
  *) echo "usage: notes add TEXT | notes list"; exit 2 ;;
esac
`,
    },
    {
      path: "README.md",
      text: `# Volume outlives container

Build the image and create a named volume:

    docker build -t notes .
    docker volume create notes-data

Write with one container, then remove it:

    docker run --name writer -v notes-data:/data notes add "first note"
    docker rm writer

A new container sees the same data:

    docker run --rm -v notes-data:/data notes list

Without -v the container gets a fresh anonymous volume, and the notes
are not there:

    docker run --rm notes list

Clean up:

    docker volume rm notes-data
`,
    },
  ],
};

export const EXAMPLES: readonly Example[] = [layeredApp, cacheOrder, multiStage, volumeOutlives];
