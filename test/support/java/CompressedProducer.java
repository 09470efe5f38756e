// Kafka's own Java producer, run as a single-file program (java -cp '<kafka libs>/*' this file):
// writes one record per input line "<key>\t<base64 value>" to one partition with the given
// compression.type, so tests can read what a producer the project did not write puts on a topic.
// Exits non-zero when any record was not acknowledged.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class CompressedProducer {
  public static void main(String[] args) throws Exception {
    if (args.length != 5) throw new IllegalArgumentException("usage: <brokers> <topic> <partition> <compression.type> <file>");
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[3]);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // Several records per batch, so the codec actually compresses a batch of records.
    props.put(ProducerConfig.LINGER_MS_CONFIG, "50");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    int partition = Integer.parseInt(args[2]);
    List<String> lines = Files.readAllLines(Path.of(args[4]), StandardCharsets.UTF_8);
    AtomicReference<Exception> failure = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      for (String line : lines) {
        if (line.isEmpty()) continue;
        String[] kv = line.split("\t", 2);
        byte[] key = kv[0].getBytes(StandardCharsets.UTF_8);
        byte[] value = Base64.getDecoder().decode(kv[1]);
        producer.send(new ProducerRecord<>(args[1], partition, key, value), (meta, err) -> {
          if (err != null) failure.compareAndSet(null, err);
        });
      }
      producer.flush();
    }
    if (failure.get() != null) {
      failure.get().printStackTrace();
      System.exit(2);
    }
    System.out.println("produced " + lines.size() + " records with " + args[3]);
  }
}
