import LabKit
import PodlabCore

func makeLabBackend() throws -> any LabBackend { throw PodlabError(.unsupported, "the pod backend is not wired in yet") }
