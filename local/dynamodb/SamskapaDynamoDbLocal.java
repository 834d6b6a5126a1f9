/*
 * Starts DynamoDB Local the way samskapa needs it, which its own ServerRunner cannot:
 *
 * - bound to 127.0.0.1 only (ServerRunner listens on every interface, which would expose an
 *   unauthenticated database holding participants' data to the network);
 * - on an OS-chosen free port (-port 0 is rejected by ServerRunner), announced on stdout as
 *   "SAMSKAPA_DYNAMODB_LISTENING <port>" so the Node side never races for a port;
 * - with a watchdog: the Node process that spawned us holds our stdin pipe; when that process dies
 *   for any reason (including SIGKILL) the kernel closes the pipe, read() returns EOF and we exit.
 *   A clean stop closes the pipe on purpose, so there is one shutdown path.
 *
 * Compiled on first use by local/dynamodb/launcher.ts into node_modules/.cache; arguments are
 * DynamoDB Local's own command-line options plus "--samskapa-port <n>".
 */
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class SamskapaDynamoDbLocal {
  private SamskapaDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    startWatchdog();

    int port = 0;
    List<String> dynamoArgs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if ("--samskapa-port".equals(args[i]) && i + 1 < args.length) {
        port = Integer.parseInt(args[++i]);
      } else {
        dynamoArgs.add(args[i]);
      }
    }

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(dynamoArgs.toArray(new String[0]));
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length != 1 || !(connectors[0] instanceof ServerConnector)) {
      throw new IllegalStateException("unexpected Jetty connectors in DynamoDB Local: " + connectors.length);
    }
    ServerConnector connector = (ServerConnector) connectors[0];
    connector.setHost("127.0.0.1");
    connector.setPort(port);

    try {
      // safeStart: start() would swallow a bind failure and leave a process that serves nothing.
      proxy.safeStart();
    } catch (Exception e) {
      System.err.println("SAMSKAPA_DYNAMODB_FAILED " + e);
      System.err.flush();
      Runtime.getRuntime().halt(1);
    }
    System.out.println("SAMSKAPA_DYNAMODB_LISTENING " + connector.getLocalPort());
    System.out.flush();
    proxy.join();
  }

  private static void startWatchdog() {
    Thread watchdog = new Thread(() -> {
      try {
        byte[] buffer = new byte[64];
        while (System.in.read(buffer) != -1) {
          // The parent never writes; anything read is ignored.
        }
      } catch (IOException ignored) {
        // A broken pipe means the same as EOF: the parent is gone.
      }
      // Exit (not halt) so DynamoDB Local's shutdown hooks close the database files; halt if that hangs.
      Thread killer = new Thread(() -> {
        try {
          Thread.sleep(3000);
        } catch (InterruptedException ignored) {
          // fall through to halt
        }
        Runtime.getRuntime().halt(0);
      });
      killer.setDaemon(true);
      killer.start();
      System.exit(0);
    }, "samskapa-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
