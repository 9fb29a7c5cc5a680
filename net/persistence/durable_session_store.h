// DurableSessionStore: the SessionStore of one shard, as records (net/persistence/session_record.h)
// in that shard's ShardStore, the same append-only log, group commit and compaction as its retained
// messages. A session's records are in the log of its client id's home shard, the shard that owns it.
//
// Thread ownership: the shard's thread, like its ShardStore's Put and Delete.
#pragma once

#include <cstdint>

#include "net/mqtt/session_store.h"
#include "net/persistence/shard_store.h"

namespace ringmq {

class DurableSessionStore final : public SessionStore {
 public:
  // `next_seq`: above every outbound record key restored from the log.
  DurableSessionStore(ShardStore& store, uint64_t next_seq) : store_(store), next_seq_(next_seq) {}

  void SaveSession(const Session& session, ProtocolVersion version, int64_t offline_since_wall_ms) override;
  void SaveSubscription(const Session& session, const SessionSubscription& sub) override;
  void DeleteSubscription(const Session& session, std::string_view filter, std::string_view share_group) override;
  void SaveQueued(const Session& session, Delivery& delivery) override;
  void SaveInflight(const Session& session, InflightMessage& inflight) override;
  void DeleteOutbound(const Session& session, const Delivery& delivery) override;
  void SaveInboundQos2(const Session& session, uint16_t packet_id) override;
  void DeleteInboundQos2(const Session& session, uint16_t packet_id) override;
  void DeleteSession(Session& session) override;
  bool TakeSaved() override { return std::exchange(saved_, false); }

 private:
  void Put(std::string_view key, std::string_view value) {
    store_.Put(key, value);
    saved_ = true;
  }
  void Delete(std::string_view key) { store_.Delete(key); }
  uint64_t SeqOf(Delivery& delivery);

  ShardStore& store_;
  uint64_t next_seq_;
  bool saved_ = false;
};

}  // namespace ringmq
