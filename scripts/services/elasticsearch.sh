#!/usr/bin/env bash
# A private single-node Elasticsearch for the test suite.
#
#   scripts/services/elasticsearch.sh start|stop|status|url
#
# Listens on 127.0.0.1:${HUIKU_ES_PORT:-9250} (transport ${HUIKU_ES_TRANSPORT_PORT:-9350}),
# no security, one node. See common.sh for where its state lives.
#
# Where the node comes from: Elastic publishes no runnable 9.x distribution on
# Maven Central (the integ-test-zip artifact stops at 8.19.x there, and the full
# download site is out of reach), but it does publish the 9.x server jar, its
# dependencies and the transport-netty4 module. So this script fetches those with
# Maven (cached in ~/.m2), lays them out like a distribution (lib/, modules/,
# config/) and starts the node with a small launcher compiled here. The launcher
# builds and starts an org.elasticsearch.node.Node the way the stock bootstrap
# does, minus what needs files that are not published: the CLI wrapper, the
# entitlement agent and the native helper libraries (so the log warns that native
# methods are disabled; memory locking and seccomp filters are off, which only
# matters in production). It also adds a tiny module serving GET / and HEAD /
# (info and ping), which the stock distribution gets from its rest-root module.
# What is therefore NOT there: x-pack (so no xpack.* settings, no security),
# painless, analysis-common (cjk/ngram filters), mapper-extras, reindex, ingest.
# The core "standard" analyzer (one token per Han character), keyword/text
# fields, search, aggregations and the bulk API are all there.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Newest 9.x served on Maven Central here; keep its minor >= the Python client's (elasticsearch 9.x).
ES_VERSION=9.5.3
ES_PORT=${HUIKU_ES_PORT:-9250}
ES_TRANSPORT_PORT=${HUIKU_ES_TRANSPORT_PORT:-9350}
ES_START_TIMEOUT=${HUIKU_ES_START_TIMEOUT:-120}
ES_STATE=$(state_dir elasticsearch)
ES_HOME=$ES_STATE/elasticsearch-$ES_VERSION
ES_DATA=$ES_STATE/data
ES_LOGS=$ES_STATE/logs
ES_LOG=$ES_LOGS/elasticsearch.log
ES_TMP=$ES_STATE/tmp
ES_PIDFILE=$ES_STATE/elasticsearch.pid
LAUNCHER_CLASS=HuikuEsNode
MAVEN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1

url() { echo "http://127.0.0.1:$ES_PORT"; }

healthy() {
    http_get "$(url)/_cluster/health?wait_for_status=yellow&timeout=1s" 5 2>/dev/null | grep '"cluster_name"' >/dev/null
}

our_pid() {
    local pid
    [ -f "$ES_PIDFILE" ] || return 1
    pid=$(head -n1 "$ES_PIDFILE" 2>/dev/null || true)
    pid_alive_with "$pid" "$LAUNCHER_CLASS" || return 1
    echo "$pid"
}

java_major() {
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

# Newest JDK >= 21 (with javac, needed to build the launcher): ES_JAVA_HOME, else /usr/lib/jvm/*.
pick_java_home() {
    local dir v best='' best_v=0
    if [ -n "${ES_JAVA_HOME:-}" ]; then
        v=$(java_major "$ES_JAVA_HOME")
        [ -n "$v" ] && [ "$v" -ge 21 ] && [ -x "$ES_JAVA_HOME/bin/javac" ] ||
            die "ES_JAVA_HOME=$ES_JAVA_HOME is not a JDK 21+ (Elasticsearch 9 needs 21 or newer)"
        echo "$ES_JAVA_HOME"
        return 0
    fi
    for dir in /usr/lib/jvm/*/; do
        dir=${dir%/}
        [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] || continue
        v=$(java_major "$dir")
        if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then
            best=$dir
            best_v=$v
        fi
    done
    [ -n "$best" ] || die "Elasticsearch 9 needs a JDK 21 or newer; none found under /usr/lib/jvm ($(ls /usr/lib/jvm 2>/dev/null | tr '\n' ' ')). Install one there or set ES_JAVA_HOME."
    echo "$best"
}

write_pom() {
    cat >"$1" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>huiku.local</groupId>
  <artifactId>elasticsearch-node</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.elasticsearch</groupId>
      <artifactId>elasticsearch</artifactId>
      <version>$ES_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.elasticsearch.plugin</groupId>
      <artifactId>transport-netty4</artifactId>
      <version>$ES_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
}

write_launcher_source() {
    cat >"$1" <<'EOF'
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Starts one Elasticsearch node from -Ename=value settings; stops it on SIGTERM. */
public final class HuikuEsNode {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("es.path.home")).toAbsolutePath();
        Path config = Path.of(System.getProperty("es.path.conf")).toAbsolutePath();
        Settings.Builder settings = Settings.builder().put("path.home", home.toString());
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (arg.startsWith("-E") == false || eq < 3) {
                throw new IllegalArgumentException("expected -Ename=value, got: " + arg);
            }
            settings.put(arg.substring(2, eq), arg.substring(eq + 1));
        }

        LogConfigurator.registerErrorListener();
        LogConfigurator.configureESLogging();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings.build(), Map.of(), config, () -> "huiku-node");
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env, true);

        var modules = PluginsLoader.loadModulesBundles(env.modulesDir(), false);
        var plugins = PluginsLoader.loadPluginsBundles(env.pluginsDir(), false);
        Node node = new Node(env, PluginsLoader.createPluginsLoader(modules, plugins, Map.of(), true));

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LogManager.getLogger(HuikuEsNode.class).warn("failure while stopping the node", e);
            } finally {
                Configurator.shutdown(LoggerContext.getContext(false));
                stopped.countDown();
            }
        }, "huiku-es-shutdown"));
        node.start();
        stopped.await();
    }
}
EOF
}

write_root_module_source() {
    cat >"$1" <<'EOF'
package huiku.esroot;

import org.elasticsearch.Build;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.xcontent.XContentBuilder;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** GET / (cluster info) and HEAD / (ping). */
public class RootPlugin extends Plugin implements ActionPlugin {
    private final AtomicReference<ClusterService> clusterService = new AtomicReference<>();

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
        RestHandlersServices services, Supplier<DiscoveryNodes> nodes, Predicate<NodeFeature> features) {
        return List.of(new BaseRestHandler() {
            @Override
            public String getName() {
                return "huiku_root";
            }

            @Override
            public List<Route> routes() {
                return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
            }

            @Override
            protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
                return channel -> {
                    if (request.method() == RestRequest.Method.HEAD) {
                        channel.sendResponse(new RestResponse(RestStatus.OK, RestResponse.TEXT_CONTENT_TYPE, BytesArray.EMPTY));
                        return;
                    }
                    ClusterService cs = clusterService.get();
                    Build build = Build.current();
                    XContentBuilder b = channel.newBuilder();
                    b.startObject();
                    b.field("name", cs.localNode().getName());
                    b.field("cluster_name", cs.getClusterName().value());
                    b.field("cluster_uuid", cs.state().metadata().clusterUUID());
                    b.startObject("version");
                    b.field("number", build.qualifiedVersion());
                    b.field("build_flavor", build.flavor());
                    b.field("build_type", build.type().displayName());
                    b.field("build_hash", build.hash());
                    b.field("build_date", build.date());
                    b.field("build_snapshot", build.isSnapshot());
                    b.field("lucene_version", org.apache.lucene.util.Version.LATEST.toString());
                    b.field("minimum_wire_compatibility_version", build.minWireCompatVersion());
                    b.field("minimum_index_compatibility_version", build.minIndexCompatVersion());
                    b.endObject();
                    b.field("tagline", "You Know, for Search");
                    b.endObject();
                    channel.sendResponse(new RestResponse(RestStatus.OK, b));
                };
            }
        });
    }
}
EOF
}

# Lay out $ES_HOME (lib/, modules/, config/, launcher/) unless already done.
assemble() {
    [ -f "$ES_HOME/.assembled" ] && return 0
    local java_home build home jar
    java_home=$(pick_java_home)
    if ! command -v mvn >/dev/null 2>&1; then
        if is_root; then apt_install maven; else die "mvn not found; install Maven (sudo apt-get install maven)"; fi
    fi
    log "assembling Elasticsearch $ES_VERSION from Maven Central jars (cached in ~/.m2)"
    build=$(mktemp -d "$ES_STATE/.build.XXXXXX")
    home=$build/home
    mkdir -p "$build/src/huiku/esroot" "$build/classes" "$home/lib" "$home/modules/transport-netty4" \
        "$home/modules/huiku-root" "$home/plugins" "$home/config" "$home/launcher"

    write_pom "$build/pom.xml"
    if ! mvn -B -q -f "$build/pom.xml" "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$build/jars" >"$build/mvn.log" 2>&1; then
        show_log_tail "$build/mvn.log"
        die "could not fetch Elasticsearch $ES_VERSION jars with Maven (log: $build/mvn.log)"
    fi
    # transport-netty4 is a module in its own class loader, like in the stock distribution.
    for jar in "$build"/jars/*.jar; do
        case $(basename "$jar") in
        netty-* | transport-netty4-* | elasticsearch-ssl-config-*) mv "$jar" "$home/modules/transport-netty4/" ;;
        *) mv "$jar" "$home/lib/" ;;
        esac
    done
    python3 - "$home/modules/transport-netty4/transport-netty4-$ES_VERSION.jar" "$home/modules/transport-netty4" <<'PY'
import sys, zipfile, pathlib
jar, dest = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(jar) as z:
    for name in ("plugin-descriptor.properties", "entitlement-policy.yaml"):
        (dest / name).write_bytes(z.read("META-INF/es-plugins/transport-netty4/" + name))
PY

    write_launcher_source "$build/src/$LAUNCHER_CLASS.java"
    write_root_module_source "$build/src/huiku/esroot/RootPlugin.java"
    if ! "$java_home/bin/javac" --release 21 -nowarn --module-path "$home/lib" --add-modules ALL-MODULE-PATH \
        -d "$home/launcher" "$build/src/$LAUNCHER_CLASS.java" >"$build/javac.log" 2>&1 ||
        ! "$java_home/bin/javac" --release 21 -nowarn --module-path "$home/lib" --add-modules ALL-MODULE-PATH \
            -d "$build/classes" "$build/src/huiku/esroot/RootPlugin.java" >>"$build/javac.log" 2>&1; then
        show_log_tail "$build/javac.log"
        die "could not compile the Elasticsearch launcher (log: $build/javac.log)"
    fi
    "$java_home/bin/jar" cf "$home/modules/huiku-root/huiku-root.jar" -C "$build/classes" .
    cat >"$home/modules/huiku-root/plugin-descriptor.properties" <<EOF
description=GET / and HEAD / handlers
version=$ES_VERSION
name=huiku-root
classname=huiku.esroot.RootPlugin
java.version=21
elasticsearch.version=$ES_VERSION
EOF

    cat >"$home/config/log4j2.properties" <<'EOF'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
EOF
    echo "# Settings are passed as -E flags by scripts/services/elasticsearch.sh." >"$home/config/elasticsearch.yml"

    echo "$ES_VERSION" >"$home/.assembled"
    chmod -R a+rX "$home"
    rm -rf "$ES_HOME"
    mv "$home" "$ES_HOME"
    rm -rf "$build"
}

launch() {
    local java_home
    local -a heap jvm settings
    java_home=$(pick_java_home)
    read -r -a heap <<<"${ES_JAVA_OPTS:--Xms512m -Xmx512m}"
    # shellcheck disable=SC2054 # the commas are part of --enable-native-access's value
    jvm=(
        "${heap[@]}"
        -Xss1m
        -XX:+ExitOnOutOfMemoryError
        -XX:-OmitStackTraceInFastThrow
        -Djava.awt.headless=true
        -Dfile.encoding=UTF-8
        -Djava.locale.providers=CLDR
        -Dio.netty.noUnsafe=true
        -Dio.netty.noKeySetOptimization=true
        -Dio.netty.recycler.maxCapacityPerThread=0
        -Dlog4j.shutdownHookEnabled=false
        -Dlog4j2.disable.jmx=true
        -Dlog4j2.formatMsgNoLookups=true
        "-Djava.io.tmpdir=$ES_TMP"
        "-Des.path.home=$ES_HOME"
        "-Des.path.conf=$ES_HOME/config"
        --add-modules=jdk.incubator.vector
        --enable-native-access=org.elasticsearch.nativeaccess,org.elasticsearch.foreign,org.apache.lucene.core
        --module-path "$ES_HOME/lib"
        --add-modules ALL-MODULE-PATH
        -cp "$ES_HOME/launcher"
    )
    settings=(
        -Ecluster.name=huiku-test
        -Enode.name=huiku-node
        -Ediscovery.type=single-node
        -Enetwork.host=127.0.0.1
        "-Ehttp.port=$ES_PORT"
        "-Etransport.port=$ES_TRANSPORT_PORT"
        "-Epath.data=$ES_DATA"
        "-Epath.logs=$ES_LOGS"
        # A nearly full disk must not turn test indices read-only.
        -Ecluster.routing.allocation.disk.threshold_enabled=false
        # Let tests delete their indices by wildcard.
        -Eaction.destructive_requires_name=false
    )
    as_svc mkdir -p "$ES_DATA" "$ES_LOGS" "$ES_TMP"
    as_svc touch "$ES_LOG"
    : >"$ES_LOG"
    rm -f "$ES_PIDFILE"
    log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$ES_PORT (java: $java_home, log: $ES_LOG)"
    # setsid -f detaches the node from our session; the inner shell records its own pid
    # and then becomes java, so the pid file names the node process.
    # shellcheck disable=SC2016 # $$ and $@ are for the inner shell
    as_svc setsid -f bash -c 'echo $$ >"$1"; shift; exec "$@"' huiku-es "$ES_PIDFILE" \
        "$java_home/bin/java" "${jvm[@]}" "$LAUNCHER_CLASS" "${settings[@]}" >>"$ES_LOG" 2>&1 </dev/null
}

wait_healthy() {
    local deadline=$((SECONDS + ES_START_TIMEOUT)) pid
    while true; do
        if healthy; then
            return 0
        fi
        if [ -f "$ES_PIDFILE" ]; then
            pid=$(head -n1 "$ES_PIDFILE" 2>/dev/null || true)
            if [ -n "$pid" ] && ! pid_alive_with "$pid" "$LAUNCHER_CLASS"; then
                show_log_tail "$ES_LOG"
                die "Elasticsearch exited while starting on 127.0.0.1:$ES_PORT; log: $ES_LOG"
            fi
        fi
        if [ $SECONDS -ge $deadline ]; then
            show_log_tail "$ES_LOG"
            die "Elasticsearch did not become healthy on 127.0.0.1:$ES_PORT within $ES_START_TIMEOUT s; log: $ES_LOG"
        fi
        sleep 1
    done
}

start() {
    if already_answering "a healthy Elasticsearch" "$ES_PORT" healthy HUIKU_ES_PORT; then
        return 0
    fi
    if port_open "$ES_TRANSPORT_PORT" && ! our_pid >/dev/null; then
        die "transport port 127.0.0.1:$ES_TRANSPORT_PORT is taken; set HUIKU_ES_TRANSPORT_PORT"
    fi

    ES_STATE=$(prepare_state_dir elasticsearch)
    exec 9>"$ES_STATE/.lock"
    flock 9
    assemble
    if ! our_pid >/dev/null; then
        launch
    fi
    wait_healthy
    log "ready: $(url)"
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        log "not running (from this checkout)"
        rm -f "$ES_PIDFILE"
        return 0
    fi
    log "stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    # pid_alive_with, not kill -0: an exited but unreaped process still answers kill -0.
    for _ in $(seq 1 60); do
        pid_alive_with "$pid" "$LAUNCHER_CLASS" || break
        sleep 0.5
    done
    if pid_alive_with "$pid" "$LAUNCHER_CLASS"; then
        log "still running after 30 s; killing"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$ES_PIDFILE"
}

status() { report_status "Elasticsearch" "$(url)" healthy ", state $ES_STATE"; }

run_service_command "$@"
