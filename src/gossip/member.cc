#include <pairdb/gossip/member.h>

namespace pairdb::gossip {

const char* liveness_name(Liveness l) {
  switch (l) {
    case Liveness::kAlive:
      return "alive";
    case Liveness::kSuspect:
      return "suspect";
    case Liveness::kDead:
      return "dead";
    case Liveness::kLeft:
      return "left";
  }
  return "?";
}

const char* node_status_name(NodeStatus s) {
  switch (s) {
    case NodeStatus::kJoining:
      return "joining";
    case NodeStatus::kNormal:
      return "normal";
    case NodeStatus::kLeaving:
      return "leaving";
    case NodeStatus::kLeft:
      return "left";
  }
  return "?";
}

const char* member_event_name(MemberEventKind k) {
  switch (k) {
    case MemberEventKind::kJoined:
      return "joined";
    case MemberEventKind::kAlive:
      return "alive";
    case MemberEventKind::kSuspect:
      return "suspect";
    case MemberEventKind::kDead:
      return "dead";
    case MemberEventKind::kLeft:
      return "left";
    case MemberEventKind::kMetadataChanged:
      return "metadata-changed";
    case MemberEventKind::kReaped:
      return "reaped";
  }
  return "?";
}

}  // namespace pairdb::gossip
