#pragma once
/// @file
/// The org chart: who supervises whom, as a Boost.Graph; teams are the
/// transitive subordinates of a supervisor.

#include <map>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>

#include <nudge/domain/manager.hpp>
#include <nudge/error.hpp>

namespace nudge {

/// Supervisor -> subordinate edges over the managers. Immutable once built.
///
/// @code
/// nudge::OrgChart org{store.managers()};
/// for (auto id : org.team(head)) { /* everyone under the head, the head first */ }
/// @endcode
class OrgChart {
public:
  /// Throws invalid_argument when a supervisor chain loops ("manager 3: supervisor: cycle 3 -> 5 -> 3").
  explicit OrgChart(const std::vector<Manager>& managers) {
    for (const auto& m : managers) vertex_of(m.id);
    for (const auto& m : managers)
      if (m.supervisor && index_.count(*m.supervisor)) boost::add_edge(vertex_of(*m.supervisor), vertex_of(m.id), g_);
    std::vector<Vertex> order;
    try {
      boost::topological_sort(g_, std::back_inserter(order));
    } catch (const boost::not_a_dag&) {
      throw invalid_argument(describe_cycle(managers));
    }
  }

  /// The manager and everyone below them, breadth first, ascending id within a level.
  [[nodiscard]] std::vector<ManagerId> team(ManagerId head) const {
    std::vector<ManagerId> out;
    auto it = index_.find(head);
    if (it == index_.end()) return out;
    struct Collect : boost::default_bfs_visitor {
      std::vector<ManagerId>* out;
      const std::vector<ManagerId>* ids;
      void discover_vertex(Vertex v, const Graph&) const { out->push_back((*ids)[v]); }
    } vis;
    vis.out = &out;
    vis.ids = &ids_;
    boost::breadth_first_search(g_, it->second, boost::visitor(vis));
    return out;
  }

  /// Direct subordinates, ascending id.
  [[nodiscard]] std::vector<ManagerId> reports_of(ManagerId head) const {
    std::vector<ManagerId> out;
    auto it = index_.find(head);
    if (it == index_.end()) return out;
    for (auto [e, end] = boost::out_edges(it->second, g_); e != end; ++e) out.push_back(ids_[boost::target(*e, g_)]);
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Managers nobody supervises (the heads), ascending id.
  [[nodiscard]] std::vector<ManagerId> heads() const {
    std::vector<ManagerId> out;
    for (std::size_t v = 0; v < ids_.size(); ++v)
      if (boost::in_degree(v, g_) == 0) out.push_back(ids_[v]);
    std::sort(out.begin(), out.end());
    return out;
  }

private:
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
  using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

  Vertex vertex_of(ManagerId id) {
    auto [it, inserted] = index_.try_emplace(id, 0);
    if (inserted) {
      it->second = boost::add_vertex(g_);
      ids_.push_back(id);
    }
    return it->second;
  }

  static std::string describe_cycle(const std::vector<Manager>& managers) {
    std::map<ManagerId, ManagerId> up;
    for (const auto& m : managers)
      if (m.supervisor) up[m.id] = *m.supervisor;
    for (const auto& m : managers) {
      std::vector<ManagerId> path{m.id};
      ManagerId cur = m.id;
      while (up.count(cur)) {
        cur = up[cur];
        const auto seen = static_cast<std::size_t>(std::find(path.begin(), path.end(), cur) - path.begin());
        path.push_back(cur);
        if (seen + 1 < path.size()) {
          std::string chain;
          for (auto i = seen; i < path.size(); ++i) chain += (chain.empty() ? "" : " -> ") + std::to_string(path[i].value());
          return fmt::format("manager {}: supervisor: the chain loops ({})", path[seen].value(), chain);
        }
      }
    }
    return "managers: supervisor chains loop";
  }

  Graph g_;
  std::map<ManagerId, Vertex> index_;
  std::vector<ManagerId> ids_;
};

}  // namespace nudge
