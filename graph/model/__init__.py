"""The model as data: namespaces, access to the ontology (``ontologies/recruitment.ttl``: the
kinds of actor, their tiers, the relation types and every concept scheme) and the reference
data (countries and Russian regions).

Nothing here knows a store. Every other package reads kinds, tiers, relation types and concept
schemes from :mod:`~graph.model.ontology` rather than stating them again.
"""
