package partnermatch;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.Version;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.PluginInfo;

/**
 * A real single-node OpenSearch in this JVM, with the modules the backend uses (HTTP and
 * transport over Netty, the common analyzers, painless) loaded from the classpath, the way
 * OpenSearch's own embedded-node test harnesses start one (their MockNode passes classpath
 * plugins to Node's protected constructor; so does this launcher).
 *
 * <p>One source for OpenSearch 2.x and 3.x: the module classes were renamed in 3.0
 * ({@code Netty4Plugin} became {@code Netty4ModulePlugin}, ...) and the protected constructor
 * takes plugin classes in 2.x but {@link PluginInfo}s in 3.x, so both are found by reflection.
 *
 * <p>Usage: {@code OpenSearchNode --port PORT --data DIR [--stop-on-stdin-close]}. Port 0 takes
 * a free port. Once the node serves HTTP it prints one JSON line {@code {"url":
 * "http://127.0.0.1:PORT"}} on stdout; it stops cleanly on SIGTERM/SIGINT and, with
 * {@code --stop-on-stdin-close}, when its standard input closes (so a test process that dies
 * takes its node with it).
 */
public final class OpenSearchNode {

    /** Each module by its 3.x class name, then its 2.x one. */
    private static final List<List<String>> MODULES = List.of(
            List.of("org.opensearch.transport.Netty4ModulePlugin", "org.opensearch.transport.Netty4Plugin"),
            List.of("org.opensearch.analysis.common.CommonAnalysisModulePlugin",
                    "org.opensearch.analysis.common.CommonAnalysisPlugin"),
            List.of("org.opensearch.painless.PainlessModulePlugin", "org.opensearch.painless.PainlessPlugin"));

    private static final String USAGE = "usage: OpenSearchNode --port PORT --data DIR [--stop-on-stdin-close]";

    private OpenSearchNode() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        int port = Integer.parseInt(options.getOrDefault("--port", "0"));
        Path data = Path.of(options.getOrDefault("--data", "opensearch-data")).toAbsolutePath();
        Files.createDirectories(data.resolve("config"));
        Settings settings = Settings.builder()
                .put("cluster.name", "partnermatch")
                .put("node.name", "partnermatch-node")
                .put("path.home", data.toString())
                .put("path.data", data.resolve("data").toString())
                .put("path.logs", data.resolve("logs").toString())
                .put("network.host", "127.0.0.1")
                .put("http.port", Integer.toString(port))
                .put("transport.port", "0")
                .put("http.type", "netty4")
                .put("transport.type", "netty4")
                .put("discovery.type", "single-node")
                // A shared test machine's disk fill level says nothing about this node's health.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .put("action.auto_create_index", false)
                .build();
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("partnermatch-node");
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), data.resolve("config"), () -> "partnermatch-node");

        Node node = newNode(environment);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(node, stopped), "node-shutdown"));
        node.start();
        TransportAddress http = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
        System.out.println("{\"url\": \"http://" + http.getAddress() + ":" + http.getPort() + "\"}");
        System.out.flush();
        if (options.containsKey("--stop-on-stdin-close")) {
            watchStdin();
        }
        stopped.await();
    }

    /** Node(environment, classpath plugins, forbidPrivateIndexSettings), whichever form it has. */
    private static Node newNode(Environment environment) throws ReflectiveOperationException {
        Constructor<Node> constructor =
                Node.class.getDeclaredConstructor(Environment.class, Collection.class, boolean.class);
        constructor.setAccessible(true);
        boolean takesPluginInfo =
                constructor.getGenericParameterTypes()[1].getTypeName().contains(PluginInfo.class.getName());
        List<Object> plugins = new ArrayList<>();
        for (List<String> names : MODULES) {
            Class<?> module = firstPresent(names);
            plugins.add(takesPluginInfo ? classpathPluginInfo(module) : module);
        }
        try {
            return constructor.newInstance(environment, plugins, true);
        } catch (InvocationTargetException error) {
            if (error.getCause() instanceof RuntimeException runtime) {
                throw runtime; // the node's own failure (bad settings, locked data folder)
            }
            throw error;
        }
    }

    private static Class<?> firstPresent(List<String> names) throws ClassNotFoundException {
        for (String name : names) {
            try {
                return Class.forName(name);
            } catch (ClassNotFoundException absent) {
                // try the other release's name
            }
        }
        throw new ClassNotFoundException("none of " + names + " is on the classpath");
    }

    /** What OpenSearch's MockNode describes a classpath plugin with. */
    private static PluginInfo classpathPluginInfo(Class<?> plugin) {
        return new PluginInfo(plugin.getName(), "classpath plugin", "NA", Version.CURRENT, "1.8",
                plugin.getName(), null, List.of(), false);
    }

    /** Exit (running the shutdown hook) once stdin reaches end of file; a terminal never sends it. */
    private static void watchStdin() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // only end of input matters
                }
            } catch (IOException ignored) {
                // a closed stdin is the same signal
            }
            System.exit(0);
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void closeQuietly(Node node, CountDownLatch stopped) {
        try {
            node.close();
            node.awaitClose(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException error) {
            System.err.println("opensearch-node: close failed: " + error);
        } finally {
            stopped.countDown();
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port", "--data" -> {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException(args[i] + " needs a value; " + USAGE);
                    }
                    options.put(args[i], args[++i]);
                }
                case "--stop-on-stdin-close" -> options.put(args[i], "true");
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; " + USAGE);
            }
        }
        return options;
    }
}
